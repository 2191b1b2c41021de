package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// shop is the shop's binary running in sandbox mode on a temporary
// SQLite file and a loopback port.
type shop struct {
	cmd    *exec.Cmd
	done   chan error
	URL    string // where it listens, http://127.0.0.1:port
	DBPath string
	tail   *tail
}

// buildShop compiles the shop from the module at root into dir.
func buildShop(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "shop")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot is the directory of the go.mod the go command sees from here.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run it from inside the shop's module: go run ./loadtest")
	}
	return filepath.Dir(mod), nil
}

var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+) url=(\S+)`)

// startShop runs bin with its data in dir and waits until it listens.
// extraEnv adds to (or overrides) the environment it gets.
func startShop(bin, dir string, extraEnv []string) (*shop, error) {
	s := &shop{DBPath: filepath.Join(dir, "shop.db"), done: make(chan error, 1), tail: &tail{}}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TZ=UTC",
		"DB_PATH=" + s.DBPath, "ADDR=127.0.0.1:0", "LOG_LEVEL=info",
		"ADMIN_PASSWORD=load test passphrase",
		// The tool signs its notifications itself with the sandbox's key;
		// notify_verify cannot vouch for notify_ids the sandbox did not
		// issue, so seller_id binds them to the merchant instead.
		"ALIPAY_NOTIFY_VERIFY=false",
	}, extraEnv...)
	// If this tool dies, the shop goes with it.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s.cmd.Stderr = s.cmd.Stdout
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the shop: %w", err)
	}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.tail.add(line)
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				listening <- m[2]
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() { s.done <- s.cmd.Wait() }()
	select {
	case u := <-listening:
		// In sandbox mode BASE_URL defaults to localhost; talk to the
		// address it listens on.
		s.URL = u
		s.URL = strings.Replace(s.URL, "localhost", "127.0.0.1", 1)
		return s, nil
	case err := <-s.done:
		s.done <- err
		return nil, fmt.Errorf("the shop stopped before listening (%v):\n%s", err, s.tail.String())
	case <-time.After(2 * time.Minute):
		s.stop()
		return nil, fmt.Errorf("the shop did not listen within 2 minutes:\n%s", s.tail.String())
	}
}

// stop ends the shop with SIGTERM, as a deployment would, and kills it
// if it has not stopped after 30 s.
func (s *shop) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// peakRSS is the shop's peak resident set size in bytes (VmHWM).
func (s *shop) peakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmHWM %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// tail keeps the last lines of the shop's log, for an error message.
type tail struct {
	mu    sync.Mutex
	lines []string
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 40 {
		t.lines = t.lines[1:]
	}
	t.lines = append(t.lines, line)
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}

// loadAverage is the machine's one-minute load average, to read the
// figures with: other work on the machine takes its share of the cores.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "unknown"
}
