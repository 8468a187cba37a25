package testkit

import (
	"io"
	"net/http"
)

// Forward sends r on to host ("host:port", plain HTTP) and copies the answer
// back to w, for test proxies that count, check or damage what passes
// through. A non-nil body replaces r's; the Host header stays r's, so
// virtual-hosted bucket names survive the hop.
func Forward(w http.ResponseWriter, r *http.Request, host string, body io.Reader) {
	resp, err := Resend(r, host, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	Reply(w, resp)
}

// Resend is Forward's first half, for proxies that look at the answer before
// deciding what the client gets: the caller closes the response body.
func Resend(r *http.Request, host string, body io.Reader) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = "http", host
	if body != nil {
		out.Body = io.NopCloser(body)
	}
	return http.DefaultTransport.RoundTrip(out)
}

// Reply is Forward's second half: it copies resp to w and closes its body.
func Reply(w http.ResponseWriter, resp *http.Response) {
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}
