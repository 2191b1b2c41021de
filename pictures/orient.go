package pictures

import (
	"bytes"
	"encoding/binary"
	"image"
)

// A phone stores a photo as its sensor saw it and says in the EXIF
// orientation tag how to turn it. Browsers follow the tag; the files made
// here carry no EXIF, so the turn is applied to the pixels instead, or an
// upright photo would be shown on its side.

// exifOrientation returns a JPEG's EXIF orientation, 1 (as stored) to 8,
// or 1 when it has none or it cannot be read.
func exifOrientation(jpg []byte) int {
	i := 2 // after SOI
	for i+4 <= len(jpg) {
		if jpg[i] != 0xff {
			return 1
		}
		marker := jpg[i+1]
		switch {
		case marker == 0xff: // fill byte
			i++
			continue
		case marker == 0xda || marker == 0xd9: // start of scan, end of image: no more headers
			return 1
		case marker == 0x01 || marker >= 0xd0 && marker <= 0xd7: // no length
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(jpg[i+2:]))
		if n < 2 || i+2+n > len(jpg) {
			return 1
		}
		if seg := jpg[i+4 : i+2+n]; marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads the orientation tag (0x0112, a SHORT) of the
// first IFD of EXIF's TIFF structure.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 1
	}
	if order.Uint16(t[2:]) != 42 {
		return 1
	}
	off := uint64(order.Uint32(t[4:]))
	if off+2 > uint64(len(t)) {
		return 1
	}
	n := uint64(order.Uint16(t[off:]))
	for k := range n {
		e := off + 2 + 12*k
		if e+12 > uint64(len(t)) {
			return 1
		}
		if order.Uint16(t[e:]) == 0x0112 && order.Uint16(t[e+2:]) == 3 {
			if v := int(order.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient returns src turned as EXIF orientation o says: mirrored for 2
// and 4, half a turn for 3, a quarter turn (width and height swapped)
// for 5 to 8.
func orient(src *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return src
	}
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	w, h := sw, sh
	if o >= 5 {
		w, h = sh, sw
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, w-1-x
			case 7:
				sx, sy = h-1-y, w-1-x
			case 8:
				sx, sy = h-1-y, x
			}
			copy(dst.Pix[dst.PixOffset(x, y):][:4], src.Pix[src.PixOffset(sx, sy):][:4])
		}
	}
	return dst
}
