package ossemu

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
)

// Limits on every XML document the server parses: OSS's documents are flat
// (depth 4 at most) and small, so anything deeper or larger is refused before
// it is decoded into a struct, bounding the memory one request can cost.
const (
	maxXMLDepth    = 8
	maxXMLTokens   = 200_000
	maxSmallXML    = 64 << 10 // ACL, tagging, restore documents
	maxDeleteXML   = 2 << 20  // 1,000 keys of up to 1,023 bytes, escaped
	maxCompleteXML = 4 << 20  // 10,000 parts
)

func errMalformedXML(why string) *ossError {
	return errf(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema: "+why)
}

// readXML reads at most limit bytes of the request body and decodes them
// into v after checking depth and token count. A failed body read returns
// the error unwrapped so the caller can answer as for any body failure.
func readXML(rq *request, limit int, v any) (*ossError, error) {
	data, err := io.ReadAll(io.LimitReader(rq.reader(), int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return errf(http.StatusBadRequest, "MalformedXML", "The XML document exceeds the size limit for this request."), nil
	}
	return decodeXML(data, v), nil
}

// decodeXML checks the shape of data (well-formed, depth ≤ maxXMLDepth,
// bounded token count) and then unmarshals it into v.
func decodeXML(data []byte, v any) *ossError {
	if len(bytes.TrimSpace(data)) == 0 {
		return errMalformedXML("the document is empty.")
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	depth, tokens := 0, 0
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return errMalformedXML(err.Error())
		}
		tokens++
		if tokens > maxXMLTokens {
			return errMalformedXML("too many elements.")
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
			if depth > maxXMLDepth {
				return errMalformedXML("elements nested too deeply.")
			}
		case xml.EndElement:
			depth--
		case xml.Directive:
			// DTDs carry entity definitions: OSS documents never need one
			return errMalformedXML("DOCTYPE and other directives are not allowed.")
		}
	}
	if err := xml.Unmarshal(data, v); err != nil {
		return errMalformedXML(err.Error())
	}
	return nil
}
