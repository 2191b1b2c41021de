package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/pictures"
)

// A product's pictures in the admin: the list with thumbnails, the upload,
// moving one up or down, deleting one. What an upload may be is package
// pictures' business (formats, sizes, limits); storing it is the models'.

// pictureFileLimit bounds an upload's file (limitUpload adds room for the
// rest of the form): above pictures.MaxBytes, so that a file a little too
// large is refused on the pictures page, which says why, rather than by
// the error page.
const pictureFileLimit = pictures.MaxBytes + 1<<20

// thumbWidth is the width the list shows each picture at.
const thumbWidth = 160

// pictureRow is one picture in the list.
type pictureRow struct {
	ID          uint
	Position    int
	Thumb       string // the narrowest file's URL
	Widest      string // the widest file's URL
	ShownWidth  int    // on the page: thumbWidth at most
	ShownHeight int
	Alt         string
	Sizes       string // "400 × 300, 800 × 600"
	First, Last bool
	Action      string // the URL its forms post to, + "/move" or "/delete"
}

// pictureForm is the upload form as sent, and why it was refused.
type pictureForm struct {
	Alt string
	Err formError
}

type adminPicturesPage struct {
	adminPage
	Product                  string // its name in the page's language
	ProductLink, ShopLink    string
	Action                   string // the upload form's
	Pictures                 []pictureRow
	Full                     bool // it has models.MaxPictures pictures
	Form                     pictureForm
	MaxMB, MaxSide, MaxMP    int
	MaxPictures, MaxAlt      int
	ThumbWidth, LargestWidth int
}

// adminPictures shows a product's pictures and the upload form.
func (s *Server) adminPictures(c *gin.Context) {
	p, err := s.pictureProduct(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.picturesPage(c, p)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin/pictures", page)
}

// adminAddPicture stores an uploaded picture, in the sizes the pages
// show, after the product's others. A refused upload stores nothing and
// shows the page again, saying why.
func (s *Server) adminAddPicture(c *gin.Context) {
	p, err := s.pictureProduct(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	alt := strings.TrimSpace(c.PostForm("alt"))
	files, err := readPicture(c, alt)
	if err == nil {
		_, err = s.admin.AddPicture(c.Request.Context(), p.ID, alt, files, s.auditEntry(c, "picture_add", "", ""))
	}
	if err != nil {
		s.pictureFailed(c, p, pictureForm{Alt: alt}, err)
		return
	}
	flash(c, "pictures.added")
	s.redirect(c, adminPicturesURL(p.ID))
}

// readPicture checks the upload form and makes the picture's files.
func readPicture(c *gin.Context, alt string) ([]models.PictureFile, error) {
	bad := map[string]string{}
	if utf8.RuneCountInString(alt) > models.MaxAltLen || hasControl(alt) {
		bad["alt"] = "pictures.err.alt"
	}
	f, _, err := c.Request.FormFile("file")
	if err != nil {
		bad["file"] = "pictures.err.nofile"
	}
	if len(bad) > 0 {
		return nil, &ValidationError{Fields: bad}
	}
	defer f.Close()
	made, err := pictures.Process(f, pictures.MaxBytes)
	if err != nil {
		return nil, err
	}
	files := make([]models.PictureFile, len(made))
	for i, m := range made {
		files[i] = models.PictureFile{Width: m.Width, Height: m.Height, ContentType: m.ContentType, Hash: m.Hash, Data: m.Data}
	}
	return files, nil
}

// adminMovePicture moves a picture one place up or down.
func (s *Server) adminMovePicture(c *gin.Context) {
	by := map[string]int{"up": -1, "down": 1}[c.PostForm("dir")]
	if by == 0 {
		s.fail(c, fmt.Errorf("%w: move %q", errBadRequest, c.PostForm("dir")))
		return
	}
	s.changePicture(c, "pictures.moved", func(productID, pictureID uint) error {
		return s.admin.MovePicture(c.Request.Context(), productID, pictureID, by, s.auditEntry(c, "picture_move", "", ""))
	})
}

// adminDeletePicture deletes a picture and its files.
func (s *Server) adminDeletePicture(c *gin.Context) {
	s.changePicture(c, "pictures.deleted", func(productID, pictureID uint) error {
		return s.admin.DeletePicture(c.Request.Context(), productID, pictureID, s.auditEntry(c, "picture_delete", "", ""))
	})
}

// changePicture applies change to the picture of the route and goes back
// to the list saying done.
func (s *Server) changePicture(c *gin.Context, done string, change func(productID, pictureID uint) error) {
	productID, err := routeID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	pictureID, err := routeID(c, "picture_id")
	if err == nil {
		err = change(productID, pictureID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	flash(c, done)
	s.redirect(c, adminPicturesURL(productID)+"#pictures")
}

// pictureFailed answers an upload that was refused: the page again, under
// the status the error table gives, saying why beside the form and keeping
// the alternative text typed. Errors that are not the upload's (a product
// deleted meanwhile, a failure of ours) get the error page.
func (s *Server) pictureFailed(c *gin.Context, p *models.Product, form pictureForm, err error) {
	k := kindOf(err)
	if k.status >= http.StatusInternalServerError || errors.Is(err, models.ErrNotFound) {
		s.fail(c, err)
		return
	}
	s.logFailure(c, k, err)
	page, perr := s.picturesPage(c, p)
	if perr != nil {
		s.fail(c, perr)
		return
	}
	form.Err = newFormError(page.Lang, k, err)
	if why := s.whyRefused(c, page.Lang, p.ID, err); why != "" {
		form.Err.Message += " " + why
	}
	page.Form = form
	s.render(c, k.status, "admin/pictures", page)
}

// whyRefused is the sentence that follows the error table's message for
// a refused upload: what the file was, its size, where the picture is
// already; "" when there is nothing to add.
func (s *Server) whyRefused(c *gin.Context, l Lang, productID uint, err error) string {
	var fe *pictures.FormatError
	var de *pictures.DimensionsError
	var dup *models.DuplicatePictureError
	switch {
	case errors.As(err, &fe) && fe.Found != "":
		return l.Tf("pictures.why.format", "Found", fe.Found)
	case errors.Is(err, pictures.ErrTooLarge):
		return l.Tf("pictures.why.toolarge", "MB", pictures.MaxBytes>>20)
	case errors.As(err, &de):
		return l.Tf("pictures.why.dimensions", "Width", de.Width, "Height", de.Height,
			"Side", pictures.MaxSide, "Megapixels", pictures.MaxPixels/1_000_000)
	case errors.Is(err, models.ErrTooManyPictures):
		return l.Tf("pictures.why.toomany", "Max", models.MaxPictures)
	case errors.As(err, &dup) && dup.ProductID == productID:
		return l.Tf("pictures.why.duplicatehere", "Position", dup.Position)
	case errors.As(err, &dup) && dup.ProductID != 0:
		ps, err := s.store.ProductsByID(c.Request.Context(), []uint{dup.ProductID})
		if p, ok := ps[dup.ProductID]; err == nil && ok {
			return l.Tf("pictures.why.duplicateother", "Product", localName(p, l))
		}
	}
	return ""
}

// picturesPage builds the pictures page of product p.
func (s *Server) picturesPage(c *gin.Context, p *models.Product) (adminPicturesPage, error) {
	pics, err := s.admin.PicturesOf(c.Request.Context(), []uint{p.ID})
	if err != nil {
		return adminPicturesPage{}, err
	}
	page := adminPicturesPage{adminPage: s.newAdminPage(c, "pictures.heading"),
		ProductLink: "/admin/products/" + strconv.FormatUint(uint64(p.ID), 10), ShopLink: "/products/" + p.Slug,
		Action: adminPicturesURL(p.ID), Full: len(pics[p.ID]) >= models.MaxPictures,
		MaxMB: pictures.MaxBytes >> 20, MaxSide: pictures.MaxSide, MaxMP: pictures.MaxPixels / 1_000_000,
		MaxPictures: models.MaxPictures, MaxAlt: models.MaxAltLen,
		ThumbWidth: pictures.ThumbWidth, LargestWidth: pictures.FullWidth}
	page.Product = localName(*p, page.Lang)
	page.Title = page.Lang.Tf("pictures.title", "Product", page.Product)
	list := pics[p.ID]
	for i, pic := range list {
		if len(pic.Files) == 0 {
			continue
		}
		thumb := pic.Files[0] // narrowest first
		sizes := make([]string, len(pic.Files))
		for j, f := range pic.Files {
			sizes[j] = fmt.Sprintf("%d × %d", f.Width, f.Height)
		}
		page.Pictures = append(page.Pictures, pictureRow{ID: pic.ID, Position: pic.Position,
			Thumb: imageURL(thumb.Hash), Widest: imageURL(pic.Files[len(pic.Files)-1].Hash), ShownWidth: min(thumb.Width, thumbWidth),
			ShownHeight: max(1, thumb.Height*min(thumb.Width, thumbWidth)/thumb.Width), Alt: pic.Alt,
			Sizes: strings.Join(sizes, ", "), First: i == 0, Last: i == len(list)-1,
			Action: adminPicturesURL(p.ID) + "/" + strconv.FormatUint(uint64(pic.ID), 10)})
	}
	return page, nil
}

// pictureProduct returns the product of the route's :id, hidden or not.
func (s *Server) pictureProduct(c *gin.Context) (*models.Product, error) {
	id, err := routeID(c, "id")
	if err != nil {
		return nil, err
	}
	ps, err := s.store.ProductsByID(c.Request.Context(), []uint{id})
	if err != nil {
		return nil, err
	}
	p, ok := ps[id]
	if !ok {
		return nil, fmt.Errorf("product %d: %w", id, models.ErrNotFound)
	}
	return &p, nil
}

// routeID reads a numeric id of the route; anything else is not found.
func routeID(c *gin.Context, name string) (uint, error) {
	id, err := strconv.ParseUint(c.Param(name), 10, 32)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("%s %q: %w", name, c.Param(name), models.ErrNotFound)
	}
	return uint(id), nil
}

// adminPicturesURL is the pictures page of a product.
func adminPicturesURL(productID uint) string {
	return "/admin/products/" + strconv.FormatUint(uint64(productID), 10) + "/pictures"
}

// localName is a product's name in l, or its English name where it has
// no Chinese one.
func localName(p models.Product, l Lang) string {
	if l.ZH() && p.NameZH != "" {
		return p.NameZH
	}
	return p.Name
}
