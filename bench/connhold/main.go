// Command connhold measures how many connections a Pairpad server lets a
// client hold: -idle keep-alive connections (one request, then silence) and
// -slow connections that send a request body one byte every -trickle. It
// reports, every -every, how many are still open, whether /healthz answers
// on a fresh connection, and, with -xff, how many of 40 autocomplete
// requests with rotating X-Forwarded-For/X-Real-IP were allowed. Loopback
// only; every connection is closed when it ends.
//
//	go run ./bench/connhold -url http://127.0.0.1:8080 -idle 1000 -slow 1000 -for 60s
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	target := flag.String("url", "http://127.0.0.1:8080", "server base URL (loopback only)")
	idle := flag.Int("idle", 1000, "idle keep-alive connections")
	slow := flag.Int("slow", 1000, "slow-body connections")
	hold := flag.Duration("for", 60*time.Second, "how long to hold")
	every := flag.Duration("every", 10*time.Second, "report interval")
	trickle := flag.Duration("trickle", 5*time.Second, "one body byte per this, for slow connections")
	xff := flag.Bool("xff", true, "also count autocomplete requests allowed with rotating X-Forwarded-For")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" && u.Hostname() != "::1") {
		fmt.Fprintln(os.Stderr, "connhold: -url must be a loopback http URL")
		os.Exit(2)
	}
	addr := u.Host
	if *hold > 10*time.Minute || *idle+*slow > 10000 {
		fmt.Fprintln(os.Stderr, "connhold: at most 10 minutes and 10,000 connections")
		os.Exit(2)
	}

	if *xff {
		allowed := 0
		for i := range 40 {
			req, _ := http.NewRequest("POST", *target+"/autocomplete", strings.NewReader(`{"code":"x","cursor":1,"language":"go"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
			req.Header.Set("X-Real-IP", fmt.Sprintf("203.0.113.%d", i))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				fmt.Fprintln(os.Stderr, "xff:", err)
				os.Exit(1)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				allowed++
			}
		}
		fmt.Printf("spoofed X-Forwarded-For: %d of 40 autocomplete requests allowed\n", allowed)
		http.DefaultClient.CloseIdleConnections()
	}

	var open, refused, dialErr atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	run := func(slowBody bool) {
		defer wg.Done()
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			dialErr.Add(1)
			return
		}
		defer c.Close()
		open.Add(1)
		defer open.Add(-1)
		closed := make(chan struct{})
		if slowBody {
			// /autocomplete reads a body of this size (up to 6 MiB), so only
			// the server's read timeout can end the request.
			fmt.Fprintf(c, "POST /autocomplete HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
			go func() { _, _ = io.Copy(io.Discard, c); close(closed) }()
			t := time.NewTicker(*trickle)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-closed:
					return
				case <-t.C:
					_, _ = c.Write([]byte(" "))
				}
			}
		}
		fmt.Fprintf(c, "GET /rooms/11111111111111111111111111111111 HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 503 {
			refused.Add(1)
		}
		go func() { _, _ = io.Copy(io.Discard, br); close(closed) }()
		select {
		case <-stop:
		case <-closed:
		}
	}
	start := time.Now()
	for i := range *idle + *slow {
		wg.Add(1)
		go run(i >= *idle)
	}
	health := func() string {
		cl := http.Client{Timeout: 2 * time.Second}
		resp, err := cl.Get(*target + "/healthz")
		if err != nil {
			return "healthz: " + err.Error()
		}
		resp.Body.Close()
		cl.CloseIdleConnections()
		return fmt.Sprintf("healthz %d", resp.StatusCode)
	}
	t := time.NewTicker(*every)
	for range t.C {
		el := time.Since(start).Round(time.Second)
		fmt.Printf("t=%-4v held open %5d of %d (503 answers %d, dial errors %d); %s\n", el, open.Load(), *idle+*slow, refused.Load(), dialErr.Load(), health())
		if el >= *hold {
			break
		}
	}
	t.Stop()
	close(stop)
	wg.Wait()
}
