package server

import (
	"net/http"
	"net/http/pprof"

	"github.com/quarrylabs/quarry/internal/console"
)

// mapiMux serves the management listener: health (always open),
// Prometheus metrics (scrape, guarded unless public), the web console at
// "/" and under /console/, and every other path to the MAPI, whatever the
// Host header.
func mapiMux(management, scrape, web http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", scrape)
	mux.Handle("GET /{$}", web)
	mux.Handle("GET "+console.Prefix, web)
	mux.Handle("/", management)
	return mux
}

// debugMux serves Go's profiler.
func debugMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
