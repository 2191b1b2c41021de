package handlers

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"html"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/pictures"
)

// upload is a file as the upload form sends it: its name and declared
// type are the browser's say, never looked at by the shop.
type upload struct {
	name, contentType string
	data              []byte
}

// uploadPicture posts the pictures form of product id as a browser does
// (multipart); csrf false leaves the token out. A nil file sends the form
// with no file chosen.
func (a *adminBrowser) uploadPicture(t *testing.T, productID uint, file *upload, alt string, csrf bool) *response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if csrf {
		require.NoError(t, w.WriteField("csrf_token", a.csrf))
	}
	require.NoError(t, w.WriteField("alt", alt))
	part := textproto.MIMEHeader{}
	if file == nil {
		file = &upload{contentType: "application/octet-stream"}
	}
	part.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, file.name))
	part.Set("Content-Type", file.contentType)
	fw, err := w.CreatePart(part)
	require.NoError(t, err)
	_, err = fw.Write(file.data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	req, err := http.NewRequest(http.MethodPost, a.h.ts.URL+adminPicturesURL(productID), &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("User-Agent", a.ua)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return do(t, a.c, req)
}

// testPicture is a w×h picture of soft gradients.
func testPicture(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), 120, 255})
		}
	}
	return img
}

func pngFile(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, testPicture(w, h)))
	return buf.Bytes()
}

func jpegFile(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, testPicture(w, h), nil))
	return buf.Bytes()
}

// bombPNG is a PNG of a few dozen bytes that claims 100000×100000 pixels.
func bombPNG() []byte {
	chunk := func(b []byte, typ string, data []byte) []byte {
		b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
		start := len(b)
		b = append(append(b, typ...), data...)
		return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 100_000), 100_000)
	p := chunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", append(ihdr, 8, 2, 0, 0, 0))
	p = chunk(p, "IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	return chunk(p, "IEND", nil)
}

// addStoredPicture stores a picture of product id directly, as an upload
// would, and returns it.
func addStoredPicture(t *testing.T, h *harness, productID uint, data []byte, alt string) *models.Picture {
	t.Helper()
	made, err := pictures.Process(bytes.NewReader(data), pictures.MaxBytes)
	require.NoError(t, err)
	files := make([]models.PictureFile, len(made))
	for i, m := range made {
		files[i] = models.PictureFile{Width: m.Width, Height: m.Height, ContentType: m.ContentType, Hash: m.Hash, Data: m.Data}
	}
	p, err := h.db.AddPicture(t.Context(), productID, alt, files, models.AuditEntry{Staff: "seed", Action: "picture_add"})
	require.NoError(t, err)
	return p
}

// picturesOf returns a product's pictures in order.
func picturesOf(t *testing.T, h *harness, productID uint) []models.Picture {
	t.Helper()
	pics, err := h.db.PicturesOf(t.Context(), []uint{productID})
	require.NoError(t, err)
	return pics[productID]
}

func countPictureFiles(t *testing.T, h *harness) int64 {
	t.Helper()
	var n int64
	require.NoError(t, h.db.Gorm().Model(&models.PictureFile{}).Count(&n).Error)
	return n
}

// pictureAudits returns the audit log's picture entries, newest first.
func pictureAudits(t *testing.T, h *harness) []models.AuditEntry {
	t.Helper()
	var out []models.AuditEntry
	require.NoError(t, h.db.Gorm().Where("action LIKE ?", "picture_%").Order("id DESC").Find(&out).Error)
	return out
}

var imgSrc = regexp.MustCompile(`<img src="/images/([0-9a-f]{64})" width="(\d+)" height="(\d+)" alt="([^"]*)"`)

func TestUploadPicture(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ann := h.staff("ann")
	scarf := h.product("silk-scarf")
	webp, err := os.ReadFile(filepath.Join("..", "pictures", "testdata", "photo.webp"))
	require.NoError(t, err)

	res := ann.get(adminPicturesURL(scarf.ID))
	require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
	assert.Contains(t, res.Body, "This product has no pictures yet.")
	assert.Contains(t, res.Body, `enctype="multipart/form-data"`)
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))

	tests := []struct {
		name  string
		file  upload
		alt   string
		sizes [][2]int
		ct    string
	}{
		{"PNG", upload{"scarf.png", "image/png", pngFile(t, 1000, 250)}, "The scarf, folded", [][2]int{{400, 100}, {800, 200}}, "image/png"},
		{"JPEG", upload{"scarf.jpg", "image/jpeg", jpegFile(t, 450, 600)}, "", [][2]int{{400, 533}, {450, 600}}, "image/jpeg"},
		{"WebP", upload{"scarf.webp", "image/webp", webp}, "光泽", [][2]int{{400, 300}, {640, 480}}, "image/jpeg"},
	}
	for i, tt := range tests {
		res := ann.uploadPicture(t, scarf.ID, &tt.file, tt.alt, true)
		require.Equal(t, http.StatusSeeOther, res.StatusCode, "%s: %s", tt.name, res.Body)
		assert.Equal(t, adminPicturesURL(scarf.ID), res.location())

		pics := picturesOf(t, h, scarf.ID)
		require.Len(t, pics, i+1, tt.name)
		pic := pics[i]
		assert.Equal(t, i+1, pic.Position, tt.name)
		assert.Equal(t, tt.alt, pic.Alt, tt.name)
		var sizes [][2]int
		for _, f := range pic.Files {
			sizes = append(sizes, [2]int{f.Width, f.Height})
			assert.Equal(t, tt.ct, f.ContentType, tt.name)
		}
		assert.Equal(t, tt.sizes, sizes, tt.name)

		audit := pictureAudits(t, h)[0]
		assert.Equal(t, "picture_add", audit.Action, tt.name)
		assert.Equal(t, "ann", audit.Staff, tt.name)
		assert.Equal(t, "product silk-scarf", audit.Target, tt.name)
		assert.Contains(t, audit.Detail, fmt.Sprintf("picture %d at position %d", pic.ID, i+1), tt.name)
	}

	res = ann.get(adminPicturesURL(scarf.ID))
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.Body, "The picture was added.")
	imgs := imgSrc.FindAllStringSubmatch(res.Body, -1)
	require.Len(t, imgs, 3)
	pics := picturesOf(t, h, scarf.ID)
	for i, m := range imgs {
		assert.Equal(t, pics[i].Files[0].Hash, m[1], "the thumbnail is the narrowest file")
		img := ann.get("/images/" + m[1])
		assert.Equal(t, http.StatusOK, img.StatusCode)
	}
	assert.Equal(t, []string{"160", "40", "The scarf, folded"}, imgs[0][2:])
	assert.Equal(t, []string{"160", "213", ""}, imgs[1][2:])
	assert.Contains(t, res.Body, "No alternative text: the shop uses the product&#39;s name.")
	assert.Contains(t, res.Body, "3 pictures (at most 20), shown in this order.")
}

func TestUploadPictureRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ann := h.staff("ann")
	scarf, mug := h.product("silk-scarf"), h.product("ceramic-mug")
	stored := pngFile(t, 500, 500)
	addStoredPicture(t, h, scarf.ID, stored, "stored")
	var gifFile bytes.Buffer
	require.NoError(t, gif.Encode(&gifFile, testPicture(20, 20), nil))
	valid := pngFile(t, 64, 64)
	tooLarge := append(bytes.Clone(valid), make([]byte, pictures.MaxBytes)...)

	tests := []struct {
		name      string
		productID uint
		file      *upload
		alt       string
		status    int
		says      []string
	}{
		{"SVG named .png", mug.ID, &upload{"photo.png", "image/png", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)}, "", 415,
			[]string{"This file is not a PNG, JPEG or WebP picture. It looks like a file of type SVG."}},
		{"SVG with an XML declaration", mug.ID, &upload{"drawing.svg", "image/svg+xml", []byte("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>")}, "", 415,
			[]string{"It looks like a file of type SVG."}},
		{"HTML named .png", mug.ID, &upload{"photo.png", "image/png", []byte("<!doctype html><html><script>alert(1)</script></html>")}, "", 415,
			[]string{"It looks like a file of type HTML."}},
		{"GIF", mug.ID, &upload{"anim.gif", "image/gif", gifFile.Bytes()}, "", 415, []string{"It looks like a file of type GIF."}},
		{"unknown bytes", mug.ID, &upload{"photo.jpg", "image/jpeg", []byte("hello")}, "", 415, []string{"This file is not a PNG, JPEG or WebP picture."}},
		{"PNG header then garbage", mug.ID, &upload{"photo.png", "image/png", append([]byte("\x89PNG\r\n\x1a\n"), strings.Repeat("junk", 100)...)}, "", 422,
			[]string{"This picture could not be read: the file may be damaged or incomplete."}},
		{"decompression bomb", mug.ID, &upload{"bomb.png", "image/png", bombPNG()}, "", 422,
			[]string{"This picture has too many pixels. It is 100000 × 100000 pixels; a picture can have up to 6000 pixels on a side and 24 megapixels in all."}},
		{"over 5 MiB", mug.ID, &upload{"big.png", "image/png", tooLarge}, "", 413, []string{"This file is too large. A picture file can have up to 5 MB."}},
		{"no file chosen", mug.ID, nil, "kept", 422, []string{"Choose a picture file.", `value="kept"`}},
		{"alt text too long", mug.ID, &upload{"photo.png", "image/png", valid}, strings.Repeat("x", models.MaxAltLen+1), 422,
			[]string{"The alternative text is too long or has control characters."}},
		{"the same picture again", scarf.ID, &upload{"again.png", "image/png", stored}, "", 409,
			[]string{"This picture has been uploaded already. It is picture 1 of this product."}},
		{"the same picture on another product", mug.ID, &upload{"again.png", "image/png", stored}, "", 409,
			[]string{"It is a picture of Silk scarf, and a picture can belong to one product only."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, audits := countPictureFiles(t, h), len(pictureAudits(t, h))
			res := ann.uploadPicture(t, tt.productID, tt.file, tt.alt, true)
			assert.Equal(t, tt.status, res.StatusCode, res.Body)
			assert.Contains(t, res.Body, `data-testid="upload-error"`, "refused on the pictures page")
			assert.Contains(t, res.Body, `id="upload"`, "with the form to try again")
			for _, s := range tt.says {
				assert.Contains(t, html.UnescapeString(res.Body), s)
			}
			assert.Equal(t, files, countPictureFiles(t, h), "nothing stored")
			assert.Len(t, pictureAudits(t, h), audits, "nothing audited")
		})
	}
	t.Run("a body over the upload limit", func(t *testing.T) {
		huge := append(bytes.Clone(valid), make([]byte, pictureFileLimit+100<<10)...)
		res := ann.uploadPicture(t, mug.ID, &upload{"huge.png", "image/png", huge}, "", true)
		assert.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
		assert.Contains(t, res.Body, "That request is too large.")
		assert.Empty(t, picturesOf(t, h, mug.ID))
	})
	t.Run("an unknown product", func(t *testing.T) {
		res := ann.uploadPicture(t, 9999, &upload{"photo.png", "image/png", valid}, "", true)
		assert.Equal(t, http.StatusNotFound, res.StatusCode)
	})
}

// TestUploadPictureNeedsStaffAndToken: without a session or without the
// CSRF token in the multipart form, an upload is refused and nothing is
// stored.
func TestUploadPictureNeedsStaffAndToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ann := h.staff("ann")
	scarf := h.product("silk-scarf")
	file := &upload{"photo.png", "image/png", pngFile(t, 300, 200)}

	res := ann.uploadPicture(t, scarf.ID, file, "", false)
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "no token")

	wrong := *ann
	wrong.csrf = strings.Repeat("0", len(ann.csrf))
	res = wrong.uploadPicture(t, scarf.ID, file, "", true)
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "a wrong token")

	stranger := &adminBrowser{browser: h.browser(desktopUA), csrf: ann.csrf}
	res = stranger.uploadPicture(t, scarf.ID, file, "", true)
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "no session")
	res = stranger.get(adminPicturesURL(scarf.ID))
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.True(t, strings.HasPrefix(res.location(), "/admin/login?next="), res.location())

	res = stranger.post(adminPicturesURL(scarf.ID)+"/1/delete", url.Values{"csrf_token": {ann.csrf}})
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "no session")

	assert.Empty(t, picturesOf(t, h, scarf.ID))
	assert.Zero(t, countPictureFiles(t, h))
	assert.Empty(t, pictureAudits(t, h))

	res = ann.uploadPicture(t, scarf.ID, file, "", true)
	assert.Equal(t, http.StatusSeeOther, res.StatusCode, "the same upload, as it should be")
}

func TestMoveAndDeletePictures(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ann := h.staff("ann")
	scarf, mug := h.product("silk-scarf"), h.product("ceramic-mug")
	a := addStoredPicture(t, h, scarf.ID, pngFile(t, 300, 200), "a")
	b := addStoredPicture(t, h, scarf.ID, pngFile(t, 301, 200), "b")
	c := addStoredPicture(t, h, scarf.ID, pngFile(t, 302, 200), "c")
	other := addStoredPicture(t, h, mug.ID, pngFile(t, 303, 200), "mug")
	order := func() []uint {
		var ids []uint
		for _, p := range picturesOf(t, h, scarf.ID) {
			ids = append(ids, p.ID)
		}
		return ids
	}
	action := func(p *models.Picture, what string) string {
		return fmt.Sprintf("%s/%d/%s", adminPicturesURL(p.ProductID), p.ID, what)
	}

	page := ann.get(adminPicturesURL(scarf.ID)).Body
	assert.Equal(t, 2, strings.Count(page, `name="dir" value="up"`), "the first cannot move up")
	assert.Equal(t, 2, strings.Count(page, `name="dir" value="down"`), "the last cannot move down")

	res := ann.postForm(action(c, "move"), url.Values{"dir": {"up"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	assert.Equal(t, adminPicturesURL(scarf.ID)+"#pictures", res.location())
	assert.Equal(t, []uint{a.ID, c.ID, b.ID}, order())
	e := pictureAudits(t, h)[0]
	assert.Equal(t, [3]string{"picture_move", "ann", "product silk-scarf"}, [3]string{e.Action, e.Staff, e.Target})
	assert.Contains(t, e.Detail, "from position 3 to 2")
	assert.Contains(t, ann.get(adminPicturesURL(scarf.ID)).Body, "The picture was moved.")

	res = ann.postForm(action(a, "move"), url.Values{"dir": {"down"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	assert.Equal(t, []uint{c.ID, a.ID, b.ID}, order())

	refused := []struct {
		name   string
		path   string
		form   url.Values
		status int
	}{
		{"no direction", action(a, "move"), url.Values{}, http.StatusBadRequest},
		{"a direction that is not one", action(a, "move"), url.Values{"dir": {"sideways"}}, http.StatusBadRequest},
		{"another product's picture", fmt.Sprintf("%s/%d/move", adminPicturesURL(scarf.ID), other.ID), url.Values{"dir": {"up"}}, http.StatusNotFound},
		{"an unknown picture", adminPicturesURL(scarf.ID) + "/9999/delete", nil, http.StatusNotFound},
		{"a picture id that is not a number", adminPicturesURL(scarf.ID) + "/x/delete", nil, http.StatusNotFound},
	}
	for _, tt := range refused {
		res := ann.postForm(tt.path, tt.form)
		assert.Equal(t, tt.status, res.StatusCode, tt.name)
	}
	res = ann.post(action(a, "delete"), url.Values{})
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "no CSRF token")
	assert.Equal(t, []uint{c.ID, a.ID, b.ID}, order(), "nothing changed")

	res = ann.postForm(action(a, "delete"), nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	assert.Equal(t, []uint{c.ID, b.ID}, order())
	e = pictureAudits(t, h)[0]
	assert.Equal(t, "picture_delete", e.Action)
	assert.Contains(t, e.Detail, fmt.Sprintf(`picture %d at position 2: alt "a"`, a.ID))
	for _, f := range a.Files {
		assert.Equal(t, http.StatusNotFound, ann.get("/images/"+f.Hash).StatusCode, "its files are gone")
	}
	assert.Contains(t, ann.get(adminPicturesURL(scarf.ID)).Body, "The picture was deleted.")
	assert.Len(t, picturesOf(t, h, mug.ID), 1, "other products keep theirs")
}

func TestPicturesPageWhenFull(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ann := h.staff("ann")
	pin := h.product("enamel-pin")
	for i := range models.MaxPictures {
		addStoredPicture(t, h, pin.ID, pngFile(t, 10+i, 10), "")
	}
	res := ann.get(adminPicturesURL(pin.ID))
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.Body, `data-testid="pictures-full"`)
	assert.NotContains(t, res.Body, `id="upload"`)

	res = ann.uploadPicture(t, pin.ID, &upload{"one-more.png", "image/png", pngFile(t, 50, 50)}, "", true)
	assert.Equal(t, http.StatusConflict, res.StatusCode)
	assert.Contains(t, res.Body, "A product can have up to 20 pictures: delete one to add another.")
	assert.Len(t, picturesOf(t, h, pin.ID), models.MaxPictures)
}
