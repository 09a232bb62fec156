package server

import (
	"encoding/json"
	"net/http"
)

// mapiHandler serves the management listener. For now it answers health
// checks; the MAPI endpoints are mounted here as they are built.
func mapiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]string{
			"code":    "NOT_FOUND",
			"message": "No such management endpoint.",
			"details": r.URL.Path,
		})
	})
	return mux
}
