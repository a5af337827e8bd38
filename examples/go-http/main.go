// Command go-http is a plain Go net/http web app, standard library only, that knows nothing about Lambda:
// it listens on $PORT (8080 when unset) like anywhere else. lambda-adapter's deployment examples run it
// unchanged as a zip function's bootstrap on provided.al2023 with the adapter as a layer
// (examples/zip-layer), in a container image behind a Function URL (examples/function-url), and behind
// CloudFront with a custom domain (examples/cloudfront).
//
//	GET  /                 JSON: a greeting, this request's URL as the client sees it, and the
//	                       Authorization scheme the app received (never the credentials)
//	GET  /events           server-sent events: ?count=N ticks (default 5), ?interval_ms=M apart (default 1000)
//	POST /echo             the request body, sent back
//	GET  /static/hello.txt a small file that may be cached for a day (CloudFront's cached behaviour)
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", index)
	mux.HandleFunc("/events", events)
	mux.HandleFunc("/echo", echo)
	mux.HandleFunc("/static/hello.txt", static)
	log.Printf("go-http listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, mux))
}

// publicURL is the URL the client asked for. Behind a Function URL or API Gateway the Host header is
// the AWS domain the request came in on; behind CloudFront it is the Function URL's domain, and the
// viewer's own host (the custom domain) arrives in X-Forwarded-Host, put there by the distribution's
// viewer-request function.
func publicURL(r *http.Request) string {
	host := first(r.Header.Get("X-Forwarded-Host"))
	if host == "" {
		host = r.Host
	}
	scheme := first(r.Header.Get("X-Forwarded-Proto"))
	if scheme == "" {
		scheme = "http"
	}
	return scheme + "://" + host + r.URL.RequestURI()
}

// first is the first of a comma-separated header's values, which proxies append to.
func first(value string) string {
	head, _, _ := strings.Cut(value, ",")
	return strings.TrimSpace(head)
}

func index(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"message":       "hello from Go net/http",
		"app":           "go",
		"url":           publicURL(r),
		"authorization": scheme,
	})
}

func events(w http.ResponseWriter, r *http.Request) {
	count := param(r, "count", 5, 1, 1000)
	interval := time.Duration(param(r, "interval_ms", 1000, 0, 60000)) * time.Millisecond
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	for i := 1; i <= count; i++ {
		if i > 1 {
			select {
			case <-time.After(interval):
			case <-r.Context().Done():
				return
			}
		}
		fmt.Fprintf(w, "id: %d\ndata: tick %d of %d at %s\n\n", i, i, count, time.Now().UTC().Format(time.RFC3339Nano))
		// Each event leaves now, not when a buffer fills: with LWA_INVOKE_MODE=response_stream the client
		// sees it at once.
		if flusher != nil {
			flusher.Flush()
		}
	}
}

func echo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "POST or PUT a body", http.StatusMethodNotAllowed)
		return
	}
	if contentType := r.Header.Get("Content-Type"); contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	_, _ = io.Copy(w, http.MaxBytesReader(w, r.Body, 6<<20))
}

func static(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = io.WriteString(w, "a file CloudFront may cache for a day\n")
}

// param is a query parameter as an integer within [min, max], or def when absent or not a number.
func param(r *http.Request, name string, def, min, max int) int {
	n, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil {
		return def
	}
	if n < min {
		return min
	}
	if n > max {
		return max
	}
	return n
}
