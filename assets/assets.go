// Package assets holds the shop's stylesheet and images, embedded in the
// binary, and serves them with long cache lifetimes: links carry a content
// hash (Path), so a changed file gets a new URL.
package assets

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed style.css admin.css order.js img
var files embed.FS

// versions maps a file's path to the first hex digits of its SHA-256,
// computed once from the embedded (immutable) files.
var versions = func() map[string]string {
	v := map[string]string{}
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		v[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	return v
}()

// Path returns the URL of an asset, with its content version: "img/a.svg"
// becomes "/assets/img/a.svg?v=1a2b3c4d5e6f". Unknown names are returned
// under /assets/ unversioned.
func Path(name string) string {
	name = strings.TrimPrefix(name, "/assets/")
	if v, ok := versions[name]; ok {
		return "/assets/" + name + "?v=" + v
	}
	return "/assets/" + name
}

// Handler serves the assets under /assets/. A request for the current
// version is cacheable for a year; others for an hour.
func Handler() http.Handler {
	fileServer := http.StripPrefix("/assets/", http.FileServerFS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/assets/")
		v, ok := versions[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == v {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=3600")
		}
		fileServer.ServeHTTP(w, r)
	})
}
