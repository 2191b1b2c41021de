package handlers

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"shop/models"
)

// Product pictures are served from the database at /images/<hash>, the
// hex SHA-256 of the file: a URL names one content for ever, so, like the
// assets, it is cached for a year by browsers and proxies alike, and the
// hash is its ETag.

// imageURL is where the picture file with the given hash is served.
func imageURL(hash string) string { return "/images/" + hash }

// servedImageTypes are the content types a picture file is served with;
// anything else stored would be a bug, and is not served.
var servedImageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/webp": true}

// imageFile serves a picture file. The response forbids everything a
// document could do (Content-Security-Policy: default-src 'none') and
// sniffing, should a browser be shown it as a page.
func (s *Server) imageFile(c *gin.Context) {
	hash := c.Param("hash")
	if !isImageHash(hash) {
		s.fail(c, fmt.Errorf("image %q: %w", hash, models.ErrNotFound))
		return
	}
	f, err := s.store.PictureFileByHash(c.Request.Context(), hash)
	if err == nil && !servedImageTypes[f.ContentType] {
		err = fmt.Errorf("image %s: stored as %q, which is not served", hash, f.ContentType)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+hash+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'")
	// ServeContent answers If-None-Match with 304, ranges and HEAD.
	http.ServeContent(c.Writer, c.Request, "", time.Time{}, bytes.NewReader(f.Data))
}

// isImageHash reports whether s is a hex SHA-256 as the shop writes it:
// 64 lowercase hexadecimal digits.
func isImageHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
