package analyzetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Healthy network services: the shapes a GC or pool rule must not mistake
// for a pathology.

// order is what the busy HTTP service decodes and answers.
type order struct {
	ID    int               `json:"id"`
	Items []string          `json:"items"`
	Attrs map[string]string `json:"attrs"`
}

// serveOrders is a busy HTTP/1.1 JSON service over loopback, with keep-alive
// clients sending requests back to back: net/http allocates per request
// (headers, bufio buffers from its own sync.Pools, JSON values) and the
// collector runs at its normal GOGC pace.
func serveOrders(ctx context.Context) func() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var o order
		if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		o.Attrs["seen"] = "yes"
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(o)
	})}
	go srv.Serve(ln)
	url := "http://" + ln.Addr().String() + "/orders"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	body, _ := json.Marshal(order{ID: 1, Items: []string{"a", "b", "c", "d"}, Attrs: map[string]string{"k": "v"}})
	clients := spawn(ctx, 4, func(ctx context.Context, i int) {
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	})
	return func() {
		clients()
		srv.Close()
		client.CloseIdleConnections()
	}
}

// echoConnections keeps 256 TCP connections open over loopback, each
// sending a short line every 20 ms that the server echoes: many
// goroutines parked in the netpoller, little allocation.
func echoConnections(ctx context.Context) func() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	var conns sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadSlice('\n')
					if err != nil {
						return
					}
					if _, err := c.Write(line); err != nil {
						return
					}
				}
			}()
		}
	}()
	const n = 256
	var clients sync.WaitGroup
	for i := range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			panic(err)
		}
		clients.Add(1)
		go func() {
			defer clients.Done()
			defer c.Close()
			r := bufio.NewReader(c)
			msg := []byte("ping " + string(rune('a'+i%26)) + "\n")
			for ctx.Err() == nil {
				if _, err := c.Write(msg); err != nil {
					return
				}
				if _, err := r.ReadSlice('\n'); err != nil {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	return func() {
		clients.Wait()
		ln.Close()
		conns.Wait()
	}
}
