package handlers

// The catalog as CSV: exported and imported with the same columns
// (models.CatalogColumns), UTF-8 with a byte order mark, formula cells
// neutralised on the way out and restored on the way in.

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/payment"
)

// catalogFileLimit is the largest catalog file an import reads.
const catalogFileLimit = 2 << 20

// maxProblemsShown bounds the problems a refused import lists.
const maxProblemsShown = 100

// Reasons a catalog file is refused as a whole, or a line of it.
const (
	reasonFileMissing  = "file.missing"
	reasonFileEmpty    = "file.empty"
	reasonFileEncoding = "file.encoding"
	reasonFileHeader   = "file.header"
	reasonFileSyntax   = "file.syntax"
	reasonFileColumns  = "file.columns"
)

// csvPrices reads and writes the price column in the shop's currency, as
// the forms read it and the orders export writes it.
type csvPrices struct{ cur payment.Currency }

func (p csvPrices) Currency() string             { return string(p.cur) }
func (p csvPrices) Parse(s string) (int64, bool) { return parseMoney(s, p.cur) }
func (p csvPrices) Format(minor int64) string    { return csvAmount(minor, p.cur) }

// adminCatalogCSV exports every product, hidden ones included, as CSV.
// The stock column is the units on hand: available plus held by pending
// orders, which an import sets back.
func (s *Server) adminCatalogCSV(c *gin.Context) {
	rows, err := s.admin.CatalogRows(c.Request.Context(), csvPrices{s.currency})
	if err != nil {
		s.fail(c, err)
		return
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // or Excel reads UTF-8 as the system's code page
	w := csv.NewWriter(&buf)
	_ = w.Write(models.CatalogColumns)
	for _, r := range rows {
		cells := r.Cells()
		for i := range cells {
			cells[i] = catalogCellOut(cells[i])
		}
		_ = w.Write(cells)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		s.fail(c, err)
		return
	}
	name := "catalog-" + s.now().In(s.loc).Format(time.DateOnly) + ".csv"
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// catalogCellOut neutralises a cell a spreadsheet would run as a formula,
// as csvSafe does for the orders export. A cell that already starts with
// the apostrophe before such a character gets one more, so that
// catalogCellIn gives every cell back exactly.
func catalogCellOut(s string) string {
	if t := strings.TrimLeft(s, "'"); t != s && isFormulaStart(t) {
		return "'" + s
	}
	return csvSafe(s)
}

// catalogCellIn takes off the apostrophe catalogCellOut added.
func catalogCellIn(s string) string {
	if t := strings.TrimLeft(s, "'"); t != s && isFormulaStart(t) {
		return s[1:]
	}
	return s
}

func isFormulaStart(s string) bool { return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) }

// limitUpload caps a file upload at n bytes (and the rest of the form at
// a little more) and parses it, answering 413 when it is larger. It runs
// after requireAdmin: nobody without a session makes the server read a
// file.
func (s *Server) limitUpload(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		limit := n + 64<<10
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		if err := c.Request.ParseMultipartForm(limit); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				s.fail(c, fmt.Errorf("%w: %v", errTooLarge, err))
				return
			}
			s.fail(c, fmt.Errorf("%w: %v", errBadRequest, err))
			return
		}
		defer c.Request.MultipartForm.RemoveAll()
		c.Next()
	}
}

// adminImportCatalog imports a CSV file of the export's columns: all of
// it in one transaction, or, if any line is wrong, nothing, with the
// problems listed by line and column.
func (s *Server) adminImportCatalog(c *gin.Context) {
	rows, problems, err := readCatalogFile(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(problems) == 0 {
		_, err = s.admin.ImportCatalog(c.Request.Context(), rows, csvPrices{s.currency}, s.auditEntry(c, "catalog_import", "", ""))
		var ie *models.ImportError
		if errors.As(err, &ie) {
			problems = ie.Problems
		} else if err != nil {
			s.fail(c, err)
			return
		}
	}
	if len(problems) > 0 {
		s.importFailed(c, problems)
		return
	}
	flash(c, "catadmin.import.done")
	s.redirect(c, "/admin/products")
}

// readCatalogFile reads the uploaded file's rows, or the problems of the
// file itself: missing, too large, not UTF-8, not CSV, not the export's
// columns.
func readCatalogFile(c *gin.Context) ([]models.CatalogRow, []models.Problem, error) {
	fail := func(line int, reason string) ([]models.CatalogRow, []models.Problem, error) {
		return nil, []models.Problem{{Line: line, Reason: reason}}, nil
	}
	f, fh, err := c.Request.FormFile("file")
	if err != nil {
		return fail(0, reasonFileMissing)
	}
	defer f.Close()
	if fh.Size > catalogFileLimit {
		return nil, nil, fmt.Errorf("%w: catalog file of %d bytes", errTooLarge, fh.Size)
	}
	data, err := io.ReadAll(io.LimitReader(f, catalogFileLimit+1))
	if err != nil {
		return nil, nil, err
	}
	rows, problems := parseCatalogCSV(data)
	return rows, problems, nil
}

// parseCatalogCSV reads a catalog file's bytes: a UTF-8 CSV (a BOM
// allowed) whose header names the export's columns. It returns the rows
// that have every column, with the apostrophes the export adds taken off,
// and the problems of the others; a problem of the file as a whole (its
// encoding, its header, a broken quote, no rows) comes alone.
func parseCatalogCSV(data []byte) ([]models.CatalogRow, []models.Problem) {
	fail := func(line int, reason string) ([]models.CatalogRow, []models.Problem) {
		return nil, []models.Problem{{Line: line, Reason: reason}}
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		return fail(0, reasonFileEncoding)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // counted here, to say which line is wrong
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return fail(0, reasonFileEmpty)
	}
	if err != nil || !sameColumns(header) {
		return fail(1, reasonFileHeader)
	}
	var rows []models.CatalogRow
	var problems []models.Problem
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// Past a broken quote the reader cannot tell where lines
			// start again: report it and stop. (Reading bytes, every
			// error is a *csv.ParseError.)
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, append(problems, models.Problem{Line: line, Reason: reasonFileSyntax})
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(models.CatalogColumns) {
			problems = append(problems, models.Problem{Line: line, Reason: reasonFileColumns})
			continue
		}
		for i := range rec {
			rec[i] = catalogCellIn(rec[i])
		}
		rows = append(rows, models.NewCatalogRow(line, rec))
	}
	if len(rows) == 0 && len(problems) == 0 {
		return fail(0, reasonFileEmpty)
	}
	return rows, problems
}

// sameColumns reports whether a header line names the export's columns,
// in order (case and spaces aside).
func sameColumns(header []string) bool {
	if len(header) != len(models.CatalogColumns) {
		return false
	}
	for i, h := range header {
		if strings.ToLower(strings.TrimSpace(h)) != models.CatalogColumns[i] {
			return false
		}
	}
	return true
}

// importFailed shows the product list again with the import's problems,
// under 422: nothing was imported.
func (s *Server) importFailed(c *gin.Context, problems []models.Problem) {
	err := &models.ImportError{Problems: problems}
	k := kindOf(err)
	s.logFailure(c, k, err)
	p, perr := s.productsPage(c)
	if perr != nil {
		s.fail(c, perr)
		return
	}
	p.Import.Message = p.Lang.T("catadmin.import.refused")
	for i, pr := range problems {
		if i == maxProblemsShown {
			p.Import.More = len(problems) - i
			break
		}
		p.Import.Problems = append(p.Import.Problems, problemRow{Line: pr.Line, Column: pr.Column, Text: p.Lang.T(reasonKey(pr.Column, pr.Reason))})
	}
	s.render(c, k.status, "admin/products", p)
}
