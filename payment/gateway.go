package payment

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxAnswer bounds what is read of a gateway answer.
const maxAnswer = 1 << 20

// call signs p (adding partner and _input_charset) and sends it to the
// gateway: as a query string, or as a form POSTed to a URL that carries
// _input_charset, as Alipay asks of POSTs.
func (c *Client) call(ctx context.Context, p Params, post bool) (body []byte, contentType string, err error) {
	svc := Service(p["service"])
	signed, err := c.sign(p)
	if err != nil {
		return nil, "", err
	}
	var req *http.Request
	if post {
		// _input_charset goes in the URL only, where the gateway reads it
		// before decoding the body, and stays signed, as Alipay's Java SDK
		// does: the gateway verifies over the query and the form merged.
		cs := signed.Charset()
		u := c.gateway + "?_input_charset=" + url.QueryEscape(cs)
		form := signed.Clone()
		delete(form, "_input_charset")
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.encodeIn(cs)))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset="+strings.ToLower(cs))
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, c.gateway+"?"+signed.Encode(), nil)
	}
	if err != nil {
		return nil, "", fmt.Errorf("payment: %s: %w", svc, err)
	}
	return c.do(req, svc)
}

// do sends req and returns the body of a 200 answer.
func (c *Client) do(req *http.Request, svc Service) (body []byte, contentType string, err error) {
	resp, err := c.http.Do(req)
	if err != nil {
		// url.Error repeats the URL, query and signature included; keep
		// only the cause (which may be a context error) out of the logs.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, "", fmt.Errorf("%w: %s: %w", ErrGateway, svc, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("%w: %s: HTTP status %s", ErrGateway, svc, resp.Status)
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s: reading the answer: %w", ErrGateway, svc, err)
	}
	if len(body) > maxAnswer {
		return nil, "", fmt.Errorf("%w: %s: answer is larger than %d bytes", ErrGateway, svc, maxAnswer)
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// xmlElem is any element, kept with its text and children.
type xmlElem struct {
	XMLName xml.Name
	Text    string    `xml:",chardata"`
	Nodes   []xmlElem `xml:",any"`
}

// xmlAlipay is the envelope of every XML answer.
type xmlAlipay struct {
	XMLName   xml.Name `xml:"alipay"`
	IsSuccess string   `xml:"is_success"`
	Error     string   `xml:"error"`
	Response  *struct {
		Nodes []xmlElem `xml:",any"`
	} `xml:"response"`
	Sign     *string `xml:"sign"`
	SignType *string `xml:"sign_type"`
}

// answer is the business part of a verified is_success=T answer.
type answer struct {
	node   string // the element inside <response>, such as "trade"; "" if none
	fields Params // its leaf children, every one of them
}

// parseAnswer reads an XML answer of svc in any encoding it declares. An
// is_success=F answer becomes a *GatewayError. On T, the leaves of the
// business node must carry a valid signature of the configured type. A T
// without a business node is accepted only when bare is set: forex_refund
// answers that way, and there is nothing in it for a signature to cover.
func (c *Client) parseAnswer(svc Service, body []byte, bare bool) (*answer, error) {
	var doc xmlAlipay
	charset := "utf-8"
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		enc, err := lookupCharset(label)
		if err != nil {
			return nil, err
		}
		charset = label
		if enc == nil {
			return in, nil
		}
		return enc.NewDecoder().Reader(in), nil
	}
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %s: answer is not Alipay XML: %v", ErrGateway, svc, err)
	}
	if err := xmlEnd(d); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrGateway, svc, err)
	}
	a, err := businessNode(&doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrGateway, svc, err)
	}
	switch strings.TrimSpace(doc.IsSuccess) {
	case "T":
	case "F":
		code := strings.TrimSpace(doc.Error)
		if code == "" {
			return nil, fmt.Errorf("%w: %s: is_success=F without an error code", ErrGateway, svc)
		}
		if doc.Sign != nil {
			// Alipay's SDK signs an error answer over error=<CODE>.
			signed := a.fields
			if a.node == "" {
				signed = Params{"error": code}
			}
			if err := c.checkAnswerSign(svc, signed, doc.Sign, doc.SignType, charset); err != nil {
				return nil, err
			}
		}
		return nil, &GatewayError{Service: svc, Code: code}
	default:
		return nil, fmt.Errorf("%w: %s: is_success is %q, want T or F", ErrGateway, svc, clip(doc.IsSuccess))
	}
	if a.node == "" {
		if !bare {
			return nil, fmt.Errorf("%w: %s: answer has no business data in <response>", ErrGateway, svc)
		}
		return a, nil
	}
	if err := c.checkAnswerSign(svc, a.fields, doc.Sign, doc.SignType, charset); err != nil {
		return nil, err
	}
	return a, nil
}

// xmlEnd checks that nothing but space, comments and processing
// instructions follows the root element.
func xmlEnd(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("after </alipay>: %v", err)
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return errors.New("text after </alipay>")
			}
		default:
			return errors.New("content after </alipay>")
		}
	}
}

// businessNode extracts the single element inside <response> and its
// leaves. Nested elements are not part of the signed string.
func businessNode(doc *xmlAlipay) (*answer, error) {
	a := &answer{fields: Params{}}
	if doc.Response == nil || len(doc.Response.Nodes) == 0 {
		return a, nil
	}
	if len(doc.Response.Nodes) > 1 {
		return nil, fmt.Errorf("<response> holds %d elements, want one", len(doc.Response.Nodes))
	}
	n := doc.Response.Nodes[0]
	a.node = n.XMLName.Local
	for _, leaf := range n.Nodes {
		if len(leaf.Nodes) > 0 {
			continue
		}
		k := leaf.XMLName.Local
		if _, dup := a.fields[k]; dup {
			return nil, fmt.Errorf("<%s> appears twice in <%s>", k, a.node)
		}
		a.fields[k] = leaf.Text
	}
	return a, nil
}

// checkAnswerSign verifies sign over fields, hashed in the document's
// declared encoding: Alipay signs the bytes it sends.
func (c *Client) checkAnswerSign(svc Service, fields Params, sign, signType *string, charset string) error {
	want := c.verifier.SignType()
	if signType != nil && strings.TrimSpace(*signType) != string(want) {
		return fmt.Errorf("%w: %s: answer says sign_type=%q, configured %s", ErrSignType, svc, clip(*signType), want)
	}
	if sign == nil || strings.TrimSpace(*sign) == "" {
		return fmt.Errorf("%w: %s: answer has no <sign>", ErrSignature, svc)
	}
	msg, err := EncodeCharset(fields.PreSign(), charset)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrSignature, svc, err)
	}
	// XML does not mangle '+' as form decoding does, but a base64 encoder
	// may have wrapped the signature over lines.
	sig := strings.Join(strings.Fields(*sign), "")
	if err := c.verifier.Verify(msg, sig); err != nil {
		return fmt.Errorf("%s: %w", svc, err)
	}
	return nil
}
