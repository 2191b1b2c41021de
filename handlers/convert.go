package handlers

import "strconv"

func itoa(n int) string { return strconv.Itoa(n) }

// atoiDefault parses a small non-negative number, or returns def.
func atoiDefault(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1_000_000 {
		return def
	}
	return n
}
