// Package pictures turns an uploaded file into the picture files the shop
// serves. It trusts nothing about an upload but its bytes: the format is
// sniffed from them (PNG, JPEG and WebP only: an SVG carries script, an
// HTML page is a phishing site on the shop's origin), the dimensions are
// read from the header before a pixel is decoded (a small file can claim
// a picture too large for memory), and every size is a new encoding of
// the decoded pixels, so nothing of the upload survives but its pixels:
// no EXIF (with its GPS position), XMP, ICC profile or comment, and no
// bytes appended after the image data.
//
// It is a leaf: the standard library and golang.org/x/image only, no HTTP,
// no database.
package pictures

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"sync/atomic"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Limits and sizes. A decoded picture takes up to 4 bytes a pixel, so
// MaxPixels bounds one upload's memory at about 100 MB.
const (
	MaxBytes  = 5 << 20    // the largest file taken
	MaxSide   = 6000       // the most pixels on either side
	MaxPixels = 24_000_000 // the most pixels in all
	// ThumbWidth and FullWidth are the widths the pages show pictures at:
	// lists and thumbnails, and the product page (twice a phone's width).
	ThumbWidth = 400
	FullWidth  = 800
	// Quality is the JPEG quality of the files made.
	Quality = 85
)

// MaxDecoding is how many pictures Process decodes and resizes at once;
// the others wait their turn. Each may take about 100 MB (MaxPixels at 4
// bytes a pixel), so this bounds what uploads made together can take.
const MaxDecoding = 2

// decoders admits MaxDecoding pictures at a time into decoding.
var decoders = newGate(MaxDecoding)

// gate admits a bounded number of goroutines at a time, in the order they
// came, and counts those waiting (for the tests).
type gate struct {
	slots   chan struct{}
	waiting atomic.Int32
	entered func() // nil, or a test's: called once admitted
}

func newGate(n int) *gate { return &gate{slots: make(chan struct{}, n)} }

// enter waits for a slot and returns the function that frees it.
func (g *gate) enter() (leave func()) {
	g.waiting.Add(1)
	g.slots <- struct{}{}
	g.waiting.Add(-1)
	if g.entered != nil {
		g.entered()
	}
	return func() { <-g.slots }
}

// Errors Process returns; match them with errors.Is.
var (
	// ErrFormat: not a PNG, JPEG or WebP file. A *FormatError says what
	// it looked like.
	ErrFormat = errors.New("not a PNG, JPEG or WebP picture")
	// ErrTooLarge: more bytes than the limit.
	ErrTooLarge = errors.New("file too large")
	// ErrDimensions: more pixels than MaxSide or MaxPixels. A
	// *DimensionsError gives the picture's size.
	ErrDimensions = errors.New("picture too large in pixels")
	// ErrBroken: the file starts like a picture but cannot be decoded.
	ErrBroken = errors.New("broken picture")
)

// FormatError reports a file that is not a PNG, JPEG or WebP picture.
// errors.Is(err, ErrFormat) is true for it.
type FormatError struct {
	// Found names what the file looked like ("SVG", "HTML", "GIF"…), or
	// is "" when it was nothing recognisable (or empty).
	Found string
}

// Error says what the file was.
func (e *FormatError) Error() string {
	if e.Found == "" {
		return ErrFormat.Error()
	}
	return ErrFormat.Error() + ": " + e.Found
}

// Is makes errors.Is(err, ErrFormat) true.
func (e *FormatError) Is(target error) bool { return target == ErrFormat }

// DimensionsError reports a picture with too many pixels.
// errors.Is(err, ErrDimensions) is true for it.
type DimensionsError struct {
	Width, Height int
}

// Error gives the picture's size and the limits.
func (e *DimensionsError) Error() string {
	return fmt.Sprintf("%s: %d×%d pixels (at most %d on a side and %d in all)", ErrDimensions, e.Width, e.Height, MaxSide, MaxPixels)
}

// Is makes errors.Is(err, ErrDimensions) true.
func (e *DimensionsError) Is(target error) bool { return target == ErrDimensions }

// File is one size of a processed picture.
type File struct {
	Width, Height int
	ContentType   string // "image/png" or "image/jpeg"
	Data          []byte
	Hash          string // hex SHA-256 of Data
}

// Process reads a picture of at most limit bytes from r and returns the
// files the shop serves, narrowest first: the picture ThumbWidth and
// FullWidth pixels wide, or as wide as it is when it is narrower (never
// enlarged; the height keeps the aspect ratio). A PNG stays a PNG; a JPEG
// or a WebP becomes a JPEG (golang.org/x/image has no WebP encoder), its
// transparent parts, if any, on white. A JPEG's EXIF orientation is
// applied to the pixels, since the EXIF itself is dropped.
//
// Errors are a *FormatError, ErrTooLarge, a *DimensionsError or
// ErrBroken, wrapped; or the reader's error.
func Process(r io.Reader, limit int64) ([]File, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read picture: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	c, err := sniff(data)
	if err != nil {
		return nil, err
	}
	// Only the sniffed format's decoder ever sees the bytes.
	cfg, err := c.config(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s header: %v", ErrBroken, c.name, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return nil, fmt.Errorf("%w: %s of %d×%d pixels", ErrBroken, c.name, cfg.Width, cfg.Height)
	}
	if cfg.Width > MaxSide || cfg.Height > MaxSide || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, &DimensionsError{Width: cfg.Width, Height: cfg.Height}
	}
	defer decoders.enter()()
	img, err := c.decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBroken, c.name, err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fmt.Errorf("%w: %s decodes to %v, its header says %d×%d", ErrBroken, c.name, b, cfg.Width, cfg.Height)
	}
	orientation := 1
	if c.name == "JPEG" {
		orientation = exifOrientation(data)
	}
	return sizes(img, orientation, c.keepPNG)
}

// codec is a format Process takes: how to read its header and its pixels,
// and whether it is written back as PNG (else JPEG).
type codec struct {
	name    string
	config  func(io.Reader) (image.Config, error)
	decode  func(io.Reader) (image.Image, error)
	keepPNG bool
}

var (
	pngCodec  = codec{"PNG", png.DecodeConfig, png.Decode, true}
	jpegCodec = codec{"JPEG", jpeg.DecodeConfig, jpeg.Decode, false}
	webpCodec = codec{"WebP", webp.DecodeConfig, webp.Decode, false}
)

// sniff returns the codec for data's format, judged by its first bytes
// alone, or a *FormatError naming what it looks like.
func sniff(data []byte) (codec, error) {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return pngCodec, nil
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return jpegCodec, nil
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return webpCodec, nil
	}
	return codec{}, &FormatError{Found: refusedKind(data)}
}

// refusedKind names what a file the shop does not take looks like, for
// the merchant; "" when it is nothing recognisable.
func refusedKind(data []byte) string {
	head := data[:min(len(data), 1024)]
	for _, m := range []struct{ magic, name string }{
		{"GIF87a", "GIF"}, {"GIF89a", "GIF"}, {"%PDF-", "PDF"}, {"II*\x00", "TIFF"},
		{"MM\x00*", "TIFF"}, {"\x00\x00\x01\x00", "ICO"}, {"RIFF", "RIFF"},
		{"\x1f\x8b", "gzip"}, {"PK\x03\x04", "ZIP"},
	} {
		if bytes.HasPrefix(head, []byte(m.magic)) {
			return m.name
		}
	}
	if len(head) >= 12 && string(head[4:8]) == "ftyp" {
		return "HEIC/AVIF"
	}
	// Markup, after a byte order mark and white space: an SVG drawing
	// (with or without an XML declaration or a doctype), else HTML or XML.
	text := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n\f")
	if len(text) > 0 && text[0] == '<' {
		lower := bytes.ToLower(text)
		switch {
		case bytes.Contains(lower, []byte("<svg")):
			return "SVG"
		case bytes.HasPrefix(lower, []byte("<?xml")) && !bytes.Contains(lower, []byte("<html")):
			return "XML"
		}
		return "HTML"
	}
	return ""
}

// sizes makes the files of img, shown turned by its EXIF orientation.
// The widest is scaled from img, each narrower one from the one before:
// scaling the whole upload once is most of the work.
func sizes(img image.Image, orientation int, keepPNG bool) ([]File, error) {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	if orientation >= 5 { // turned a quarter: shown w and h swap
		w, h = h, w
	}
	var widths []int // widest first, each once
	for _, target := range []int{FullWidth, ThumbWidth} {
		if tw := min(target, w); len(widths) == 0 || widths[len(widths)-1] != tw {
			widths = append(widths, tw)
		}
	}
	files := make([]File, len(widths))
	src := img
	for i, tw := range widths {
		th := max(1, int((int64(h)*int64(tw)+int64(w)/2)/int64(w)))
		sw, sh := tw, th
		if orientation >= 5 {
			sw, sh = th, tw
		}
		scaled := scale(src, sw, sh, !keepPNG)
		f, err := encode(orient(scaled, orientation), keepPNG)
		if err != nil {
			return nil, err
		}
		files[len(files)-1-i], src = f, scaled
	}
	return files, nil
}

// scale returns img resized to w×h with Catmull-Rom (a plain copy when the
// size is the same). onWhite lays transparent parts on white, for a JPEG.
func scale(img image.Image, w, h int, onWhite bool) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	op := draw.Src
	if onWhite {
		draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
		op = draw.Over
	}
	if b := img.Bounds(); b.Dx() == w && b.Dy() == h {
		draw.Draw(dst, dst.Bounds(), img, b.Min, op)
		return dst
	}
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), op, nil)
	return dst
}

// encode writes img as PNG or JPEG.
func encode(img *image.RGBA, asPNG bool) (File, error) {
	var buf bytes.Buffer
	f := File{Width: img.Rect.Dx(), Height: img.Rect.Dy(), ContentType: "image/jpeg"}
	var err error
	if asPNG {
		f.ContentType = "image/png"
		err = png.Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: Quality})
	}
	if err != nil {
		return File{}, fmt.Errorf("encode %s: %w", f.ContentType, err)
	}
	f.Data = buf.Bytes()
	sum := sha256.Sum256(f.Data)
	f.Hash = hex.EncodeToString(sum[:])
	return f, nil
}
