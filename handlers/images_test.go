package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeImage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	pic := addStoredPicture(t, h, h.product("tea-set").ID, pngFile(t, 900, 150), "Tea set")
	require.Len(t, pic.Files, 2)
	b := h.browser(desktopUA) // a shopper: no session needed

	for _, f := range pic.Files {
		res := b.get(imageURL(f.Hash))
		require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
		assert.Equal(t, string(f.Data), res.Body)
		assert.Equal(t, "image/png", res.Header.Get("Content-Type"))
		assert.Equal(t, "public, max-age=31536000, immutable", res.Header.Get("Cache-Control"))
		assert.Equal(t, `"`+f.Hash+`"`, res.Header.Get("ETag"))
		assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
		assert.Equal(t, "default-src 'none'", res.Header.Get("Content-Security-Policy"))
		assert.Empty(t, res.Header.Values("Set-Cookie"))

		for _, inm := range []string{`"` + f.Hash + `"`, `W/"` + f.Hash + `"`, `"other", "` + f.Hash + `"`, "*"} {
			res = b.request(http.MethodGet, imageURL(f.Hash), nil, http.Header{"If-None-Match": {inm}})
			assert.Equal(t, http.StatusNotModified, res.StatusCode, inm)
			assert.Empty(t, res.Body, inm)
			assert.Equal(t, "public, max-age=31536000, immutable", res.Header.Get("Cache-Control"), inm)
		}
		res = b.request(http.MethodGet, imageURL(f.Hash), nil, http.Header{"If-None-Match": {`"` + strings.Repeat("0", 64) + `"`}})
		assert.Equal(t, http.StatusOK, res.StatusCode, "another version")
		res = b.request(http.MethodHead, imageURL(f.Hash), nil, nil)
		assert.Equal(t, http.StatusOK, res.StatusCode, "HEAD")
		assert.Empty(t, res.Body, "HEAD")
		assert.Equal(t, strconv.Itoa(len(f.Data)), res.Header.Get("Content-Length"), "HEAD")
	}

	hash := pic.Files[0].Hash
	for name, path := range map[string]string{
		"unknown hash":       "/images/" + strings.Repeat("ab", 32),
		"upper case":         "/images/" + strings.ToUpper(hash),
		"too short":          "/images/" + hash[:63],
		"too long":           "/images/" + hash + "0",
		"with an extension":  "/images/" + hash + ".png",
		"not hexadecimal":    "/images/" + strings.Repeat("g", 64),
		"nothing":            "/images/",
		"a path beyond":      "/images/" + hash + "/x",
		"an escaped slash":   "/images/..%2f..%2fetc%2fpasswd",
		"a conditional miss": "/images/" + strings.Repeat("cd", 32),
	} {
		res := b.request(http.MethodGet, path, nil, http.Header{"If-None-Match": {"*"}})
		assert.Equal(t, http.StatusNotFound, res.StatusCode, name)
		assert.NotEqual(t, "public, max-age=31536000, immutable", res.Header.Get("Cache-Control"), "%s: a miss is not cached for a year", name)
	}
}

func TestIsImageHash(t *testing.T) {
	t.Parallel()
	assert.True(t, isImageHash(strings.Repeat("0123456789abcdef", 4)))
	for _, s := range []string{"", strings.Repeat("0123456789ABCDEF", 4), strings.Repeat("a", 63), strings.Repeat("a", 65), strings.Repeat("a", 63) + "/"} {
		assert.False(t, isImageHash(s), s)
	}
}
