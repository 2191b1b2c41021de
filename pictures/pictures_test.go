package pictures

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The WebP files in testdata were made with Debian's cwebp 1.2.4 from PNGs
// a few lines of Go drew: photo.webp (lossy VP8, 640×480, the left half
// red, the right half blue; cwebp -q 50 -metadata none) and alpha.webp
// (lossless VP8L, 40×30, the left half transparent, the right half green;
// cwebp -lossless -exact -metadata none).

// size is a file's width and height and content type.
type size struct {
	w, h int
	ct   string
}

func TestProcessAccepts(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want []size
	}{
		{"PNG wider than both sizes", encodePNG(t, gradient(1600, 80, false)), []size{{400, 20, "image/png"}, {800, 40, "image/png"}}},
		{"PNG between the sizes", encodePNG(t, gradient(600, 30, false)), []size{{400, 20, "image/png"}, {600, 30, "image/png"}}},
		{"PNG narrower than both: never enlarged", encodePNG(t, gradient(300, 200, false)), []size{{300, 200, "image/png"}}},
		{"PNG exactly the small width", encodePNG(t, gradient(400, 100, false)), []size{{400, 100, "image/png"}}},
		{"PNG with transparency", encodePNG(t, gradient(500, 100, true)), []size{{400, 80, "image/png"}, {500, 100, "image/png"}}},
		{"tall PNG keeps its aspect", encodePNG(t, gradient(420, 630, false)), []size{{400, 600, "image/png"}, {420, 630, "image/png"}}},
		{"JPEG", encodeJPEG(t, gradient(1000, 150, false)), []size{{400, 60, "image/jpeg"}, {800, 120, "image/jpeg"}}},
		{"JPEG rounds the height", encodeJPEG(t, gradient(1001, 111, false)), []size{{400, 44, "image/jpeg"}, {800, 89, "image/jpeg"}}},
		{"tiny JPEG", encodeJPEG(t, gradient(1, 1, false)), []size{{1, 1, "image/jpeg"}}},
		{"lossy WebP becomes JPEG", testdata(t, "photo.webp"), []size{{400, 300, "image/jpeg"}, {640, 480, "image/jpeg"}}},
		{"lossless WebP with alpha becomes JPEG", testdata(t, "alpha.webp"), []size{{40, 30, "image/jpeg"}}},
		{"at the side limit", encodePNG(t, gradient(MaxSide, 1, false)), []size{{400, 1, "image/png"}, {800, 1, "image/png"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := Process(bytes.NewReader(tt.data), MaxBytes)
			require.NoError(t, err)
			var got []size
			for _, f := range files {
				got = append(got, size{f.Width, f.Height, f.ContentType})
				sum := sha256.Sum256(f.Data)
				assert.Equal(t, hex.EncodeToString(sum[:]), f.Hash)
				cfg, format, err := image.DecodeConfig(bytes.NewReader(f.Data))
				require.NoError(t, err)
				assert.Equal(t, "image/"+format, f.ContentType, "the content type is what the bytes are")
				assert.Equal(t, [2]int{f.Width, f.Height}, [2]int{cfg.Width, cfg.Height})
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestProcessKeepsPixels(t *testing.T) {
	t.Run("WebP's transparent half is white in the JPEG", func(t *testing.T) {
		files, err := Process(bytes.NewReader(testdata(t, "alpha.webp")), MaxBytes)
		require.NoError(t, err)
		img := decode(t, files[0].Data)
		assertColor(t, color.RGBA{255, 255, 255, 255}, img.At(5, 15), "transparent becomes white, not black")
		assertColor(t, color.RGBA{0, 160, 60, 255}, img.At(35, 15), "the opaque half is kept")
	})
	t.Run("WebP's colours survive", func(t *testing.T) {
		files, err := Process(bytes.NewReader(testdata(t, "photo.webp")), MaxBytes)
		require.NoError(t, err)
		img := decode(t, files[1].Data)
		r, _, b, _ := img.At(100, 10).RGBA()
		assert.Greater(t, r, b, "left half red")
		r, _, b, _ = img.At(540, 10).RGBA()
		assert.Greater(t, b, r, "right half blue")
	})
	t.Run("PNG keeps its transparency", func(t *testing.T) {
		files, err := Process(bytes.NewReader(encodePNG(t, gradient(500, 100, true))), MaxBytes)
		require.NoError(t, err)
		img := decode(t, files[0].Data)
		_, _, _, a := img.At(2, 40).RGBA()
		assert.Zero(t, a, "the transparent column")
		_, _, _, a = img.At(200, 40).RGBA()
		assert.Equal(t, uint32(0xffff), a)
	})
}

func TestProcessRefuses(t *testing.T) {
	valid := encodePNG(t, gradient(64, 64, false))
	jpg := encodeJPEG(t, gradient(64, 64, false))
	var gifBuf bytes.Buffer
	require.NoError(t, gif.Encode(&gifBuf, gradient(16, 16, false), nil))
	tests := []struct {
		name  string
		data  []byte
		limit int64
		want  error
		found string // the *FormatError's Found
		dims  [2]int // the *DimensionsError's size
	}{
		{"SVG without an XML declaration", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><rect width="10" height="10"/></svg>`), 0, ErrFormat, "SVG", [2]int{}},
		{"SVG with an XML declaration and a doctype", []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"), 0, ErrFormat, "SVG", [2]int{}},
		{"SVG after a byte order mark and blank lines", []byte("\xef\xbb\xbf\n\n  <SVG xmlns=\"http://www.w3.org/2000/svg\"/>"), 0, ErrFormat, "SVG", [2]int{}},
		{"HTML named photo.png", []byte("<!DOCTYPE html><html><body><script>fetch('/admin')</script></body></html>"), 0, ErrFormat, "HTML", [2]int{}},
		{"HTML fragment", []byte("<script>alert(1)</script>"), 0, ErrFormat, "HTML", [2]int{}},
		{"XML", []byte(`<?xml version="1.0"?><note>hi</note>`), 0, ErrFormat, "XML", [2]int{}},
		{"GIF", gifBuf.Bytes(), 0, ErrFormat, "GIF", [2]int{}},
		{"PDF", []byte("%PDF-1.7\n1 0 obj\n"), 0, ErrFormat, "PDF", [2]int{}},
		{"HEIC from a phone", append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 32)...), 0, ErrFormat, "HEIC/AVIF", [2]int{}},
		{"plain text", []byte("just some words"), 0, ErrFormat, "", [2]int{}},
		{"empty file", nil, 0, ErrFormat, "", [2]int{}},
		{"PNG header then garbage", append([]byte("\x89PNG\r\n\x1a\n"), []byte(strings.Repeat("garbage!", 64))...), 0, ErrBroken, "", [2]int{}},
		{"PNG cut in half", valid[:len(valid)/2], 0, ErrBroken, "", [2]int{}},
		{"PNG with a bad checksum", corrupt(valid, 40), 0, ErrBroken, "", [2]int{}},
		{"JPEG header then garbage", append([]byte("\xff\xd8\xff\xe0"), []byte(strings.Repeat("garbage!", 64))...), 0, ErrBroken, "", [2]int{}},
		{"JPEG cut short", jpg[:len(jpg)-200], 0, ErrBroken, "", [2]int{}},
		{"WebP header then garbage", append([]byte("RIFF\x40\x00\x00\x00WEBPVP8 "), []byte(strings.Repeat("garbage!", 8))...), 0, ErrBroken, "", [2]int{}},
		{"one byte over the limit", valid, int64(len(valid) - 1), ErrTooLarge, "", [2]int{}},
		{"over 5 MiB", append(bytes.Clone(valid), make([]byte, MaxBytes)...), MaxBytes, ErrTooLarge, "", [2]int{}},
		{"PNG bomb: 100000×100000 in a few bytes", pngHeader(100_000, 100_000), 0, ErrDimensions, "", [2]int{100_000, 100_000}},
		{"PNG one pixel too wide", pngHeader(MaxSide+1, 1), 0, ErrDimensions, "", [2]int{MaxSide + 1, 1}},
		{"PNG of 25 megapixels", pngHeader(5000, 5000), 0, ErrDimensions, "", [2]int{5000, 5000}},
		{"JPEG bomb: 65000×65000", jpegHeader(65_000, 65_000), 0, ErrDimensions, "", [2]int{65_000, 65_000}},
		{"WebP bomb: 16384×16384", webpHeader(16_384, 16_384), 0, ErrDimensions, "", [2]int{16_384, 16_384}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit := tt.limit
			if limit == 0 {
				limit = MaxBytes
			}
			files, err := Process(bytes.NewReader(tt.data), limit)
			require.ErrorIs(t, err, tt.want)
			assert.Nil(t, files)
			var fe *FormatError
			if errors.As(err, &fe) {
				assert.Equal(t, tt.found, fe.Found)
			}
			var de *DimensionsError
			if errors.As(err, &de) {
				assert.Equal(t, tt.dims, [2]int{de.Width, de.Height})
			}
		})
	}
	t.Run("exactly at the limit", func(t *testing.T) {
		_, err := Process(bytes.NewReader(valid), int64(len(valid)))
		assert.NoError(t, err)
	})
}

// TestProcessStripsMetadata uploads files carrying EXIF (with a GPS
// position), XMP, an ICC profile, comments, text chunks and a payload
// after the end of the image: the files made carry none of it.
func TestProcessStripsMetadata(t *testing.T) {
	const secret = "SECRET-51.5007N-0.1246W"
	trailer := []byte("<script>/*" + secret + "*/</script>")
	tests := []struct {
		name string
		data []byte
	}{
		{"JPEG", append(withJPEGMetadata(encodeJPEG(t, gradient(900, 100, false)), binary.BigEndian, 1, secret), trailer...)},
		{"PNG", append(withPNGText(encodePNG(t, gradient(900, 100, false)), secret), trailer...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Contains(t, string(tt.data), secret, "the upload carries it")
			files, err := Process(bytes.NewReader(tt.data), MaxBytes)
			require.NoError(t, err)
			require.Len(t, files, 2)
			for _, f := range files {
				assert.NotContains(t, string(f.Data), "SECRET")
				assert.NotContains(t, string(f.Data), "<script")
				switch f.ContentType {
				case "image/jpeg":
					assert.Empty(t, jpegMetadata(t, f.Data), "no APPn or COM segment")
					assert.True(t, bytes.HasSuffix(f.Data, []byte{0xff, 0xd9}), "nothing after the end of the image")
				case "image/png":
					for _, c := range pngChunks(t, f.Data) {
						assert.Contains(t, []string{"IHDR", "PLTE", "IDAT", "IEND"}, c, "no ancillary chunk")
					}
				}
			}
		})
	}
}

// TestProcessTurnsByEXIF: a photo stored sideways with orientation 6
// (turn a quarter clockwise) comes out upright, in both byte orders.
func TestProcessTurnsByEXIF(t *testing.T) {
	for _, order := range []byteOrder{binary.BigEndian, binary.LittleEndian} {
		t.Run(order.String(), func(t *testing.T) {
			// Stored 600×200: the left half red, the right half blue.
			img := image.NewRGBA(image.Rect(0, 0, 600, 200))
			for y := range 200 {
				for x := range 600 {
					c := color.RGBA{220, 20, 20, 255}
					if x >= 300 {
						c = color.RGBA{20, 20, 220, 255}
					}
					img.SetRGBA(x, y, c)
				}
			}
			data := withJPEGMetadata(encodeJPEG(t, img), order, 6, "")
			require.Equal(t, 6, exifOrientation(data))
			files, err := Process(bytes.NewReader(data), MaxBytes)
			require.NoError(t, err)
			require.Len(t, files, 1)
			assert.Equal(t, [2]int{200, 600}, [2]int{files[0].Width, files[0].Height}, "shown upright: tall")
			out := decode(t, files[0].Data)
			assertColor(t, color.RGBA{220, 20, 20, 255}, out.At(100, 100), "the stored left is now the top")
			assertColor(t, color.RGBA{20, 20, 220, 255}, out.At(100, 500), "the stored right is now the bottom")
		})
	}
}

// TestOrient checks each EXIF orientation by where the stored picture's
// top-left and top-right corners are shown.
// BenchmarkProcess measures a phone photo of 12 megapixels.
func BenchmarkProcess(b *testing.B) {
	var buf bytes.Buffer
	require.NoError(b, jpeg.Encode(&buf, gradient(4000, 3000, false), &jpeg.Options{Quality: 90}))
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, err := Process(bytes.NewReader(buf.Bytes()), MaxBytes); err != nil {
			b.Fatal(err)
		}
	}
}

func TestOrient(t *testing.T) {
	tl, tr := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	src.SetRGBA(0, 0, tl)
	src.SetRGBA(2, 0, tr)
	tests := []struct {
		o              int
		w, h           int
		atTL, atTR     image.Point
		turnedQuarters bool
	}{
		{1, 3, 2, image.Pt(0, 0), image.Pt(2, 0), false},
		{2, 3, 2, image.Pt(2, 0), image.Pt(0, 0), false}, // mirrored
		{3, 3, 2, image.Pt(2, 1), image.Pt(0, 1), false}, // half a turn
		{4, 3, 2, image.Pt(0, 1), image.Pt(2, 1), false}, // upside down
		{5, 2, 3, image.Pt(0, 0), image.Pt(0, 2), true},  // transposed
		{6, 2, 3, image.Pt(1, 0), image.Pt(1, 2), true},  // a quarter clockwise
		{7, 2, 3, image.Pt(1, 2), image.Pt(1, 0), true},  // transverse
		{8, 2, 3, image.Pt(0, 2), image.Pt(0, 0), true},  // a quarter anticlockwise
	}
	for _, tt := range tests {
		dst := orient(src, tt.o)
		assert.Equal(t, image.Rect(0, 0, tt.w, tt.h), dst.Rect, "orientation %d", tt.o)
		assert.Equal(t, tl, dst.RGBAAt(tt.atTL.X, tt.atTL.Y), "orientation %d: top-left", tt.o)
		assert.Equal(t, tr, dst.RGBAAt(tt.atTR.X, tt.atTR.Y), "orientation %d: top-right", tt.o)
	}
}

func TestEXIFOrientationIgnoresJunk(t *testing.T) {
	jpg := encodeJPEG(t, gradient(8, 8, false))
	for name, data := range map[string][]byte{
		"no EXIF":          jpg,
		"truncated APP1":   append([]byte("\xff\xd8\xff\xe1\x00\x40Exif\x00\x00MM\x00*"), jpg[2:]...),
		"IFD out of range": append([]byte("\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*\x7f\xff\xff\xff"), jpg[2:]...),
		"no SOI at all":    []byte("\xff"),
	} {
		assert.Equal(t, 1, exifOrientation(data), name)
	}
}

// gradient is a w×h picture with varied colours; with alpha, its first
// tenth of columns is transparent.
func gradient(w, h int, alpha bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) % 256), 255}
			if alpha && x < w/10 {
				c.A = 0
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func encodeJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}))
	return buf.Bytes()
}

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func decode(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	return img
}

// assertColor checks a pixel within JPEG's error of want.
func assertColor(t *testing.T, want color.RGBA, got color.Color, msg string) {
	t.Helper()
	r, g, b, _ := got.RGBA()
	near := func(a uint8, b uint32) bool { d := int(a) - int(b>>8); return d > -24 && d < 24 }
	assert.True(t, near(want.R, r) && near(want.G, g) && near(want.B, b), "%s: want %v, got %d,%d,%d", msg, want, r>>8, g>>8, b>>8)
}

// corrupt flips a byte.
func corrupt(b []byte, i int) []byte {
	b = bytes.Clone(b)
	b[i] ^= 0xff
	return b
}

// withJPEGMetadata puts after a JPEG's SOI what cameras and editors add:
// an EXIF APP1 with the orientation (in the given byte order) and, when
// secret is not empty, an image description holding it; an XMP APP1, an
// ICC profile APP2 and a comment holding it too.
func withJPEGMetadata(jpg []byte, order byteOrder, orientation int, secret string) []byte {
	tiff := make([]byte, 8, 64)
	if order == binary.LittleEndian {
		copy(tiff, "II")
	} else {
		copy(tiff, "MM")
	}
	order.PutUint16(tiff[2:], 42)
	order.PutUint32(tiff[4:], 8)
	tiff = order.AppendUint16(tiff, 2) // entries
	tiff = order.AppendUint16(tiff, 0x010e)
	tiff = order.AppendUint16(tiff, 2) // ASCII
	tiff = order.AppendUint32(tiff, uint32(len(secret)+1))
	tiff = order.AppendUint32(tiff, 8+2+2*12+4) // the string, after the IFD
	tiff = order.AppendUint16(tiff, 0x0112)
	tiff = order.AppendUint16(tiff, 3) // SHORT
	tiff = order.AppendUint32(tiff, 1)
	tiff = order.AppendUint16(tiff, uint16(orientation))
	tiff = order.AppendUint16(tiff, 0)
	tiff = order.AppendUint32(tiff, 0) // no next IFD
	tiff = append(append(tiff, secret...), 0)
	var out []byte
	out = append(out, jpg[:2]...)
	out = appendSegment(out, 0xe1, append([]byte("Exif\x00\x00"), tiff...))
	if secret != "" {
		out = appendSegment(out, 0xe1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>"+secret+"</x:xmpmeta>"))
		out = appendSegment(out, 0xe2, []byte("ICC_PROFILE\x00\x01\x01"+secret))
		out = appendSegment(out, 0xfe, []byte(secret))
	}
	return append(out, jpg[2:]...)
}

// byteOrder is binary.BigEndian or binary.LittleEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func appendSegment(b []byte, marker byte, payload []byte) []byte {
	b = append(b, 0xff, marker)
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)+2))
	return append(b, payload...)
}

// jpegMetadata returns the markers of a JPEG's APPn and COM segments.
func jpegMetadata(t *testing.T, jpg []byte) []byte {
	t.Helper()
	require.True(t, bytes.HasPrefix(jpg, []byte{0xff, 0xd8}))
	var found []byte
	for i := 2; i+4 <= len(jpg) && jpg[i+1] != 0xda; {
		require.Equal(t, byte(0xff), jpg[i], "a marker at %d", i)
		if m := jpg[i+1]; m >= 0xe0 && m <= 0xef || m == 0xfe {
			found = append(found, m)
		}
		i += 2 + int(binary.BigEndian.Uint16(jpg[i+2:]))
	}
	return found
}

// withPNGText puts tEXt and iTXt chunks holding secret after IHDR.
func withPNGText(p []byte, secret string) []byte {
	const afterIHDR = 8 + 4 + 4 + 13 + 4
	out := bytes.Clone(p[:afterIHDR])
	out = appendChunk(out, "tEXt", []byte("Comment\x00"+secret))
	out = appendChunk(out, "iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta>"+secret+"</x:xmpmeta>"))
	return append(out, p[afterIHDR:]...)
}

func appendChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(append(b, typ...), data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// pngChunks returns a PNG's chunk types, and fails if anything follows
// IEND.
func pngChunks(t *testing.T, p []byte) []string {
	t.Helper()
	var types []string
	for i := 8; i < len(p); {
		require.LessOrEqual(t, i+12, len(p))
		n := int(binary.BigEndian.Uint32(p[i:]))
		types = append(types, string(p[i+4:i+8]))
		i += 12 + n
		if types[len(types)-1] == "IEND" {
			require.Equal(t, len(p), i, "nothing after IEND")
		}
	}
	return types
}

// pngHeader is a PNG that claims w×h pixels and has almost no data.
func pngHeader(w, h int) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB
	p := appendChunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", ihdr)
	p = appendChunk(p, "IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	return appendChunk(p, "IEND", nil)
}

// jpegHeader is a JPEG whose frame header claims w×h pixels, with a scan
// header and no data.
func jpegHeader(w, h int) []byte {
	sof := []byte{8}
	sof = binary.BigEndian.AppendUint16(sof, uint16(h))
	sof = binary.BigEndian.AppendUint16(sof, uint16(w))
	sof = append(sof, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0)
	out := appendSegment([]byte{0xff, 0xd8}, 0xc0, sof)
	out = appendSegment(out, 0xda, []byte{3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0})
	return append(out, 0xff, 0xd9)
}

// webpHeader is a WebP whose VP8X chunk claims a w×h canvas.
func webpHeader(w, h int) []byte {
	vp8x := []byte{0, 0, 0, 0, byte(w - 1), byte((w - 1) >> 8), byte((w - 1) >> 16), byte(h - 1), byte((h - 1) >> 8), byte((h - 1) >> 16)}
	chunk := append([]byte("VP8X\x0a\x00\x00\x00"), vp8x...)
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(4+len(chunk)))
	return append(append(out, "WEBP"...), chunk...)
}

// TestProcessDecodesAFewAtOnce: of many pictures processed together, at
// most MaxDecoding are decoded at a time; the others wait their turn and
// are processed after.
func TestProcessDecodesAFewAtOnce(t *testing.T) {
	const n = MaxDecoding + 3
	inside, release := make(chan struct{}, n), make(chan struct{})
	g := newGate(MaxDecoding)
	g.entered = func() {
		inside <- struct{}{}
		<-release
	}
	saved := decoders
	decoders = g
	t.Cleanup(func() { decoders = saved })

	pic := encodePNG(t, image.NewRGBA(image.Rect(0, 0, 40, 30)))
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := Process(bytes.NewReader(pic), MaxBytes)
			errs <- err
		})
	}
	// Every call is either decoding (held in the hook) or waiting.
	require.Eventually(t, func() bool { return len(inside)+int(g.waiting.Load()) == n }, time.Minute, time.Millisecond)
	assert.Equal(t, MaxDecoding, len(inside), "decoding at once")
	assert.EqualValues(t, n-MaxDecoding, g.waiting.Load(), "waiting their turn")
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.Len(t, inside, n, "every picture was decoded in the end")
}
