// Command sink is the benchmarks' HTTP receiver: it answers every request with
// 200 "ok" at once (keep-alive), counts requests and remembers, per request
// that names a message, the wall-clock receipt time, so a benchmark can
// compute produce-to-receipt latency and the delivery rate. Control endpoints
// live under /_bench/ and are never counted.
//
//	sink -addr 127.0.0.1:0 -port-file /tmp/port
//	GET  /_bench/stats  {"count":N,"recorded":M,"firstNs":..,"lastNs":..}
//	GET  /_bench/dump   one "id receiptNs" line per recorded request
//	POST /_bench/reset  forget everything
//
// The message id is the X-Herald-Global-Id header (Herald's webhook channel),
// else X-Bench-Id (the peer's configuration sets it from the Kafka key).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

type receipt struct {
	id string
	ns int64
}

type sink struct {
	mu       sync.Mutex
	count    int64
	firstNs  int64
	lastNs   int64
	receipts []receipt
}

func (s *sink) serveMessage(w http.ResponseWriter, r *http.Request) {
	// Drain the body so the connection can be reused.
	_, _ = io.Copy(io.Discard, r.Body)
	now := time.Now().UnixNano()
	id := r.Header.Get("X-Herald-Global-Id")
	if id == "" {
		id = r.Header.Get("X-Bench-Id")
	}
	s.mu.Lock()
	s.count++
	if s.firstNs == 0 {
		s.firstNs = now
	}
	s.lastNs = now
	if id != "" {
		s.receipts = append(s.receipts, receipt{id, now})
	}
	s.mu.Unlock()
	h := w.Header()
	h.Set("Content-Type", "text/plain")
	h.Set("Content-Length", "2")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("ok"))
}

func (s *sink) stats(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	out := map[string]int64{"count": s.count, "recorded": int64(len(s.receipts)), "firstNs": s.firstNs, "lastNs": s.lastNs}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *sink) dump(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	rs := make([]receipt, len(s.receipts))
	copy(rs, s.receipts)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	bw := bufio.NewWriterSize(w, 1<<16)
	for _, r := range rs {
		bw.WriteString(r.id)
		bw.WriteByte(' ')
		bw.WriteString(strconv.FormatInt(r.ns, 10))
		bw.WriteByte('\n')
	}
	_ = bw.Flush()
}

func (s *sink) reset(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	s.mu.Lock()
	s.count, s.firstNs, s.lastNs = 0, 0, 0
	s.receipts = s.receipts[:0]
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	portFile := flag.String("port-file", "", "write the bound port here once listening")
	flag.Parse()

	s := &sink{receipts: make([]receipt, 0, 1<<18)}
	mux := http.NewServeMux()
	mux.HandleFunc("/_bench/stats", s.stats)
	mux.HandleFunc("/_bench/dump", s.dump)
	mux.HandleFunc("/_bench/reset", s.reset)
	mux.HandleFunc("/", s.serveMessage)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("sink: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if *portFile != "" {
		// Written then renamed, so a reader never sees a partial number.
		tmp := *portFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(strconv.Itoa(port)+"\n"), 0o644); err != nil {
			log.Fatalf("sink: %v", err)
		}
		if err := os.Rename(tmp, *portFile); err != nil {
			log.Fatalf("sink: %v", err)
		}
	}
	fmt.Fprintf(os.Stderr, "sink listening on 127.0.0.1:%d\n", port)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	log.Fatal(srv.Serve(ln))
}
