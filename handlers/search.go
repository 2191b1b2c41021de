package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"shop/models"
)

// Bounds of what an anonymous visitor can ask of the lists.
const (
	maxSearchLen = 100  // characters of a search
	listPageSize = 24   // products on a page of a category or of results
	maxListPage  = 1000 // page numbers above it are refused
)

// listPager is where a list's page is among its pages.
type listPager struct {
	Page, Pages int
	Prev, Next  string // the neighbouring pages' URLs, "" at either end
	from, to    int    // the page's products: list[from:to]
}

// pageNumber reads ?page=, 1 when absent. Anything but a whole number from
// 1 to maxListPage is a bad request.
func pageNumber(c *gin.Context) (int, error) {
	v, ok := c.GetQuery("page")
	if !ok {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxListPage {
		return 0, fmt.Errorf("page %q: %w", v, errBadRequest)
	}
	return n, nil
}

// paginate places page n of a list of count products; base is the list's
// URL up to its page parameter ("/search?q=tea&" or "/categories/tea?").
// A page past the last is not found; an empty list has one, empty, page.
func paginate(count, n int, base string) (listPager, error) {
	pages := max(1, (count+listPageSize-1)/listPageSize)
	if n > pages {
		return listPager{}, fmt.Errorf("page %d of %d: %w", n, pages, models.ErrNotFound)
	}
	p := listPager{Page: n, Pages: pages, from: (n - 1) * listPageSize}
	p.to = min(count, p.from+listPageSize)
	pageURL := func(n int) string {
		if n == 1 {
			return strings.TrimRight(base, "?&")
		}
		return base + "page=" + strconv.Itoa(n)
	}
	if n > 1 {
		p.Prev = pageURL(n - 1)
	}
	if n < pages {
		p.Next = pageURL(n + 1)
	}
	return p, nil
}

type searchPage struct {
	page
	Query      string
	Asked      bool   // a search was made (the query is not blank)
	TooLong    string // the message when the query is too long, else ""
	Count      int    // products found
	Products   []productView
	Categories []categoryLink // offered when nothing is found
	AllCurrent bool           // false: the chips' "All" is another page
	Pager      listPager
	CNYNote    string
}

// search finds the products on sale whose names, descriptions or category
// hold every word of ?q=, in English or Chinese, ignoring case and width.
// Names rank first. A blank query shows the search box; one longer than
// maxSearchLen characters is refused (400) and changes nothing.
func (s *Server) search(c *gin.Context) {
	n, err := pageNumber(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := searchPage{page: s.newPage(c, "search.title")}
	p.Query = strings.TrimSpace(strings.ToValidUTF8(c.Query("q"), "\uFFFD"))
	if utf8.RuneCountInString(p.Query) > maxSearchLen {
		p.Query = string([]rune(p.Query)[:maxSearchLen])
		p.TooLong = p.Lang.Tf("search.toolong", "Max", maxSearchLen)
		s.render(c, http.StatusBadRequest, "search", p)
		return
	}
	snap, err := s.catalog(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	terms := strings.Fields(fold(p.Query))
	if p.Asked = len(terms) > 0; !p.Asked {
		p.Categories = categoryLinks(snap, p.Lang, 0)
		s.render(c, http.StatusOK, "search", p)
		return
	}
	found := snap.search(terms)
	p.Pager, err = paginate(len(found), n, "/search?q="+url.QueryEscape(p.Query)+"&")
	if err != nil {
		s.fail(c, err)
		return
	}
	p.Title = p.Lang.Tf("search.resultstitle", "Query", p.Query)
	p.Count = len(found)
	p.Products = s.cards(snap, found[p.Pager.from:p.Pager.to], p.Lang, p.Pager.from)
	if len(found) == 0 {
		p.Categories = categoryLinks(snap, p.Lang, 0)
	}
	p.CNYNote = s.cnyRate(p.Lang, s.currency).Note()
	s.render(c, http.StatusOK, "search", p)
}
