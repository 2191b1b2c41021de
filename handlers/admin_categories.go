package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"shop/models"
)

// The categories of the catalog: one page lists them with the form of a
// new one, or of the one being edited.

// categoryRow is a category in the list.
type categoryRow struct {
	Link, Slug, Name, NameZH string
	SortOrder, Products      int
}

// categoryForm is the category form as typed.
type categoryForm struct {
	Slug, Name, NameZH, SortOrder string
	Err                           formError
}

type adminCategoriesPage struct {
	adminPage
	Rows   []categoryRow
	ID     uint   // the category being edited; 0 for a new one
	Action string // where the form posts
	Form   categoryForm
	Error  string // why deleting was refused
}

// parse reads the form; what is wrong comes back as a
// *models.InputError.
func (f categoryForm) parse() (models.CategoryInput, error) {
	in := models.CategoryInput{Slug: f.Slug, Name: f.Name, NameZH: f.NameZH}
	if f.SortOrder == "" {
		return in, nil
	}
	n, err := strconv.Atoi(f.SortOrder)
	if err != nil {
		bad := map[string]string{"sort_order": models.ReasonFormat}
		var ie *models.InputError
		if errors.As(in.Check(), &ie) {
			for field, reason := range ie.Fields {
				bad[field] = reason
			}
		}
		return in, &models.InputError{Fields: bad}
	}
	in.SortOrder = n
	return in, nil
}

func postedCategoryForm(c *gin.Context) categoryForm {
	return categoryForm{Slug: c.PostForm("slug"), Name: c.PostForm("name"), NameZH: c.PostForm("name_zh"),
		SortOrder: strings.TrimSpace(c.PostForm("sort_order"))}
}

func adminCategoryURL(id uint) string {
	return "/admin/categories/" + strconv.FormatUint(uint64(id), 10)
}

func categoryID(c *gin.Context) (uint, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("category %q: %w", c.Param("id"), models.ErrNotFound)
	}
	return uint(id), nil
}

// categoriesPage builds the list with the form of category id (0: a new
// one).
func (s *Server) categoriesPage(c *gin.Context, id uint) (adminCategoriesPage, error) {
	ctx := c.Request.Context()
	cs, err := s.admin.CategoriesWithCounts(ctx)
	if err != nil {
		return adminCategoriesPage{}, err
	}
	p := adminCategoriesPage{adminPage: s.newAdminPage(c, "catadmin.categories.title"), ID: id, Action: "/admin/categories"}
	for _, cat := range cs {
		p.Rows = append(p.Rows, categoryRow{Link: adminCategoryURL(cat.ID), Slug: cat.Slug, Name: cat.Name, NameZH: cat.NameZH,
			SortOrder: cat.SortOrder, Products: cat.Products})
	}
	if id != 0 {
		cat, err := s.admin.CategoryByID(ctx, id)
		if err != nil {
			return adminCategoriesPage{}, err
		}
		p.Action = adminCategoryURL(id)
		p.Form = categoryForm{Slug: cat.Slug, Name: cat.Name, NameZH: cat.NameZH, SortOrder: strconv.Itoa(cat.SortOrder)}
	}
	return p, nil
}

// adminCategories lists the categories, with the form of a new one.
func (s *Server) adminCategories(c *gin.Context) { s.showCategories(c, 0) }

// adminCategory lists the categories, with the form of one to edit.
func (s *Server) adminCategory(c *gin.Context) {
	id, err := categoryID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.showCategories(c, id)
}

func (s *Server) showCategories(c *gin.Context, id uint) {
	p, err := s.categoriesPage(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin/categories", p)
}

// adminCreateCategory adds a category.
func (s *Server) adminCreateCategory(c *gin.Context) { s.saveCategory(c, 0) }

// adminUpdateCategory saves a category's form.
func (s *Server) adminUpdateCategory(c *gin.Context) {
	id, err := categoryID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.saveCategory(c, id)
}

func (s *Server) saveCategory(c *gin.Context, id uint) {
	form := postedCategoryForm(c)
	in, err := form.parse()
	if err == nil {
		_, err = s.admin.SaveCategory(c.Request.Context(), id, in, s.auditEntry(c, "category_save", "", ""))
	}
	if err != nil {
		s.categoryFailed(c, id, err, func(p *adminCategoriesPage, e formError) { form.Err = e; p.Form = form })
		return
	}
	if id == 0 {
		flash(c, "catadmin.categories.created")
	} else {
		flash(c, "catadmin.categories.saved")
	}
	s.redirect(c, "/admin/categories")
}

// adminDeleteCategory deletes a category; its products stay, without one.
func (s *Server) adminDeleteCategory(c *gin.Context) {
	id, err := categoryID(c)
	if err == nil {
		err = s.admin.DeleteCategory(c.Request.Context(), id, s.auditEntry(c, "category_delete", "", ""))
	}
	if err != nil {
		s.categoryFailed(c, id, err, func(p *adminCategoriesPage, e formError) { p.Error = e.Message })
		return
	}
	flash(c, "catadmin.categories.deleted")
	s.redirect(c, "/admin/categories")
}

// categoryFailed answers a refused category form with the page again,
// as productFailed does for products.
func (s *Server) categoryFailed(c *gin.Context, id uint, err error, keep func(*adminCategoriesPage, formError)) {
	k := kindOf(err)
	if k.status >= http.StatusInternalServerError || errors.Is(err, models.ErrNotFound) {
		s.fail(c, err)
		return
	}
	s.logFailure(c, k, err)
	p, perr := s.categoriesPage(c, id)
	if perr != nil {
		s.fail(c, perr)
		return
	}
	keep(&p, catalogFormError(p.Lang, k, err))
	s.render(c, k.status, "admin/categories", p)
}
