// A load client on the Eclipse Paho Go MQTT library, as mqtt-benchmark is: each client publishes with one
// message in flight (it waits for the PUBACK before the next), so Paho reuses the lowest free packet id for
// every message. Prints one JSON line with what was acknowledged and the publish→PUBACK latencies.
// With -inflight N > 1 a client keeps publishing while up to N messages await their PUBACK, so a paced
// (-rate) run holds its rate when a PUBACK takes longer than the interval between messages.
//
// Built by the tests and by `npm run bench:ingest` (GOPATH mode against Debian's
// golang-github-eclipse-paho.mqtt.golang-dev); not part of the product.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

type result struct {
	Clients   int       `json:"clients"`
	Sent      int       `json:"sent"`
	Acked     int       `json:"acked"`
	Errors    int       `json:"errors"`
	Seconds   float64   `json:"seconds"`
	PerSecond float64   `json:"perSecond"`
	LatencyMs []float64 `json:"latencyMs"` // p50, p99, p99.9, max, mean
}

func main() {
	broker := flag.String("broker", "tcp://127.0.0.1:1883", "broker URL")
	clients := flag.Int("clients", 1, "concurrent clients")
	count := flag.Int("count", 100, "messages per client")
	qos := flag.Int("qos", 1, "QoS 0 or 1")
	topic := flag.String("topic", "telemetry/x/s1", "topic; %d is replaced by the client number")
	payload := flag.String("payload", `{"value":1}`, "payload, the same for every message")
	rate := flag.Float64("rate", 0, "messages per second per client (0: as fast as acknowledgements allow)")
	prefix := flag.String("id", "paho-go", "client id prefix")
	clean := flag.Bool("clean", true, "clean session")
	inflight := flag.Int("inflight", 1, "unacknowledged messages allowed per client (1: wait for each PUBACK)")
	flag.Parse()
	if *inflight < 1 {
		*inflight = 1
	}

	var mu sync.Mutex
	lat := make([]float64, 0, *clients**count)
	res := result{Clients: *clients}
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	conns := make([]mqtt.Client, *clients)
	for c := 0; c < *clients; c++ {
		opts := mqtt.NewClientOptions().AddBroker(*broker).SetClientID(fmt.Sprintf("%s-%d", *prefix, c)).
			SetCleanSession(*clean).SetAutoReconnect(false).SetConnectTimeout(10 * time.Second).SetKeepAlive(60 * time.Second)
		conns[c] = mqtt.NewClient(opts)
		if tok := conns[c].Connect(); tok.WaitTimeout(15*time.Second) && tok.Error() != nil {
			fmt.Fprintln(os.Stderr, "connect:", tok.Error())
			os.Exit(2)
		}
	}
	for c := 0; c < *clients; c++ {
		ready.Add(1)
		done.Add(1)
		go func(c int) {
			defer done.Done()
			t := *topic
			if containsVerb(t) {
				t = fmt.Sprintf(t, c)
			}
			local := make([]float64, 0, *count)
			sent, acked, errs := 0, 0, 0
			var localMu sync.Mutex
			var pending sync.WaitGroup
			slots := make(chan struct{}, *inflight)
			// await records one message's outcome; it runs inline with one in flight, else in a goroutine.
			await := func(tok mqtt.Token, t0 time.Time) {
				ok := tok.WaitTimeout(30*time.Second) && tok.Error() == nil
				ms := float64(time.Since(t0).Microseconds()) / 1000
				localMu.Lock()
				if ok {
					acked++
					local = append(local, ms)
				} else {
					errs++
				}
				localMu.Unlock()
			}
			ready.Done()
			<-start
			began := time.Now()
			for i := 0; i < *count; i++ {
				if *rate > 0 {
					due := began.Add(time.Duration(float64(i) / *rate * float64(time.Second)))
					if d := time.Until(due); d > 0 {
						time.Sleep(d)
					}
				}
				slots <- struct{}{}
				t0 := time.Now()
				tok := conns[c].Publish(t, byte(*qos), false, *payload)
				sent++
				if *inflight <= 1 {
					await(tok, t0)
					<-slots
					continue
				}
				pending.Add(1)
				go func() {
					defer pending.Done()
					await(tok, t0)
					<-slots
				}()
			}
			pending.Wait()
			mu.Lock()
			res.Sent += sent
			res.Acked += acked
			res.Errors += errs
			lat = append(lat, local...)
			mu.Unlock()
		}(c)
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	done.Wait()
	res.Seconds = time.Since(t0).Seconds()
	for _, c := range conns {
		c.Disconnect(250)
	}
	res.PerSecond = float64(res.Acked) / res.Seconds
	res.LatencyMs = percentiles(lat)
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

func containsVerb(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '%' && s[i+1] == 'd' {
			return true
		}
	}
	return false
}

func percentiles(v []float64) []float64 {
	if len(v) == 0 {
		return []float64{0, 0, 0, 0, 0}
	}
	sort.Float64s(v)
	at := func(q float64) float64 { return v[int(q*float64(len(v)-1))] }
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return []float64{at(0.5), at(0.99), at(0.999), v[len(v)-1], sum / float64(len(v))}
}
