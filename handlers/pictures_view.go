package handlers

import (
	"shop/assets"
	"shop/models"
)

// How the shop's pages show a product: its pictures when it has some, its
// drawing (the seeded catalog's SVG) otherwise. A picture is stored in
// several widths; a page asks for the one that fills its slot on an
// ordinary screen and offers the one twice as wide to dense screens.

// Picture widths the pages ask for: the slot of a card, a cart line or the
// product page, and twice that for screens of twice the density.
const (
	slotWidth  = 400
	denseWidth = 2 * slotWidth
)

// aboveFold is how many images of a list the first screen shows (a row of
// four cards on a desktop, two rows of two on a phone): they load at once,
// the ones after them only when scrolled to.
const aboveFold = 4

// drawingWidth and drawingHeight are the size of the seeded drawings.
const (
	drawingWidth  = 400
	drawingHeight = 300
)

// imageView is one image as a page shows it.
type imageView struct {
	Src           string
	SrcSet        string // the file for dense screens ("URL 2x"), or ""
	Width, Height int    // of the Src file: the browser reserves the space before it loads
	Alt           string
	Lazy          bool // below the fold: loading="lazy"
}

// fileFor returns the smallest file at least width pixels wide, or the
// widest there is when none is that wide. files is not empty.
func fileFor(files []models.PictureFile, width int) models.PictureFile {
	best := files[0]
	for _, f := range files[1:] {
		switch {
		case best.Width >= width && f.Width >= width && f.Width < best.Width:
			best = f
		case best.Width < width && f.Width > best.Width:
			best = f
		}
	}
	return best
}

// largestFile returns the widest file of a picture. files is not empty.
func largestFile(files []models.PictureFile) models.PictureFile {
	best := files[0]
	for _, f := range files[1:] {
		if f.Width > best.Width {
			best = f
		}
	}
	return best
}

// pictureView shows a picture in a page's slot; name is the product's name
// in the page's language, the alternative text when the picture has none.
func pictureView(pic models.Picture, name string) (imageView, bool) {
	if len(pic.Files) == 0 {
		return imageView{}, false
	}
	f := fileFor(pic.Files, slotWidth)
	v := imageView{Src: imageURL(f.Hash), Width: f.Width, Height: f.Height, Alt: pic.Alt}
	if v.Alt == "" {
		v.Alt = name
	}
	if dense := fileFor(pic.Files, denseWidth); dense.Width > f.Width {
		v.SrcSet = imageURL(dense.Hash) + " 2x"
	}
	return v, true
}

// drawingView shows a product's drawing: width and height are its slot on
// the page, alt its alternative text ("" where the product's name is
// written beside it).
func drawingView(p models.Product, width, height int, alt string) imageView {
	return imageView{Src: assets.Path(p.Image), Width: width, Height: height, Alt: alt}
}

// productImages returns the images a product page shows: every picture in
// the merchant's order, or the drawing.
func productImages(p models.Product, pics []models.Picture, name string) []imageView {
	var out []imageView
	for _, pic := range pics {
		if v, ok := pictureView(pic, name); ok {
			v.Lazy = len(out) > 0
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		out = append(out, drawingView(p, drawingWidth, drawingHeight, name))
	}
	return out
}

// firstPicture shows a product's first picture, if it has one.
func firstPicture(pics []models.Picture, name string) (imageView, bool) {
	for _, pic := range pics {
		if v, ok := pictureView(pic, name); ok {
			return v, true
		}
	}
	return imageView{}, false
}

// mainImage returns the image a list (the home page, the cart) shows for a
// product: its first picture, or the drawing in a slot of width by height
// without alternative text, since the product's name is written beside it.
// i is the product's place in the list.
func mainImage(p models.Product, pics []models.Picture, name string, i, width, height int) imageView {
	v, ok := firstPicture(pics, name)
	if !ok {
		v = drawingView(p, width, height, "")
	}
	v.Lazy = i >= aboveFold
	return v
}

// productIDs returns the products' ids, for one query of all their pictures.
func productIDs(ps []models.Product) []uint {
	ids := make([]uint, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

// apiImages returns the URLs an app may show for a product: the widest file
// of each picture, in the merchant's order, or the drawing's path.
func apiImages(p models.Product, pics []models.Picture) []string {
	var out []string
	for _, pic := range pics {
		if len(pic.Files) > 0 {
			out = append(out, imageURL(largestFile(pic.Files).Hash))
		}
	}
	if len(out) == 0 {
		out = append(out, p.Image)
	}
	return out
}

// apiImage is the image of a product in a list: the file of its first
// picture that fills a card, or the drawing's path.
func apiImage(p models.Product, pics []models.Picture) string {
	for _, pic := range pics {
		if len(pic.Files) > 0 {
			return imageURL(fileFor(pic.Files, slotWidth).Hash)
		}
	}
	return p.Image
}
