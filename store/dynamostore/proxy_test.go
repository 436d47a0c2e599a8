package dynamostore_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// fault is what the proxy does with one request.
type fault int

const (
	pass        fault = iota // forward it
	throughput               // answer ProvisionedThroughputExceededException
	throttling               // answer ThrottlingException
	unprocessed              // forward the first half of a batch, and answer the rest unprocessed
	oldItem                  // forward it, and return the item with a failed condition, as DynamoDB does and dynalite does not
)

// faultProxy is an HTTP proxy in front of the DynamoDB API server that
// answers what a throttled table answers: the two throttling errors, and
// batches of which DynamoDB processed only a part. Requests are told apart
// by operation (the X-Amz-Target header); each operation has a queue of
// faults for its next requests and a steady fault for the ones after.
type faultProxy struct {
	target string
	srv    *httptest.Server

	mu     sync.Mutex
	queued map[string][]fault
	steady map[string]fault
	seen   map[string]int
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	p := &faultProxy{target: target, queued: map[string][]fault{}, steady: map[string]fault{}, seen: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// queue makes the next requests of op meet faults, in order.
func (p *faultProxy) queue(op string, faults ...fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queued[op] = append(p.queued[op], faults...)
}

// always makes every request of op, after those queued, meet f.
func (p *faultProxy) always(op string, f fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.steady[op] = f
}

// count returns how many requests of op the proxy has received.
func (p *faultProxy) count(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[op]
}

func (p *faultProxy) next(op string) fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen[op]++
	if q := p.queued[op]; len(q) > 0 {
		p.queued[op] = q[1:]
		return q[0]
	}
	return p.steady[op]
}

func (p *faultProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	switch p.next(op) {
	case throughput:
		reply(w, http.StatusBadRequest, map[string]any{
			"__type":  "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
			"message": "The level of configured provisioned throughput for the table was exceeded.",
		})
		return
	case throttling:
		reply(w, http.StatusBadRequest, map[string]any{
			"__type":  "com.amazonaws.dynamodb.v20120810#ThrottlingException",
			"message": "Rate of requests exceeds the allowed throughput.",
		})
		return
	case unprocessed:
		p.partial(w, r, op, body)
		return
	case oldItem:
		p.withOldItem(w, r, body)
		return
	}
	status, out, err := p.forward(r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	write(w, status, out)
}

// partial forwards the first half (rounded down) of a BatchGetItem's keys or
// a BatchWriteItem's requests, and answers the others as unprocessed
// beside what the server answered.
func (p *faultProxy) partial(w http.ResponseWriter, r *http.Request, op string, body []byte) {
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	items, _ := req["RequestItems"].(map[string]any)
	sent, left := map[string]any{}, map[string]any{}
	for table, v := range items {
		switch op {
		case "BatchGetItem":
			ka := v.(map[string]any)
			keys := ka["Keys"].([]any)
			half := len(keys) / 2
			if half > 0 {
				sent[table] = with(ka, "Keys", keys[:half])
			}
			left[table] = with(ka, "Keys", keys[half:])
		case "BatchWriteItem":
			reqs := v.([]any)
			half := len(reqs) / 2
			if half > 0 {
				sent[table] = reqs[:half]
			}
			left[table] = reqs[half:]
		}
	}
	answer := map[string]any{}
	if len(sent) > 0 {
		req["RequestItems"] = sent
		b, _ := json.Marshal(req)
		status, out, err := p.forward(r, b)
		if err != nil || status != http.StatusOK {
			http.Error(w, "partial batch failed", http.StatusBadGateway)
			return
		}
		if err := json.Unmarshal(out, &answer); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
	}
	if op == "BatchGetItem" {
		if answer["Responses"] == nil {
			answer["Responses"] = map[string]any{}
		}
		answer["UnprocessedKeys"] = left
	} else {
		answer["UnprocessedItems"] = left
	}
	reply(w, http.StatusOK, answer)
}

// withOldItem forwards a PutItem or DeleteItem and, when its condition
// failed and it asked for ReturnValuesOnConditionCheckFailure ALL_OLD,
// adds the item as it is to the error, read with a GetItem of its key.
func (p *faultProxy) withOldItem(w http.ResponseWriter, r *http.Request, body []byte) {
	status, out, err := p.forward(r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	var req, answer map[string]any
	if json.Unmarshal(body, &req) != nil || json.Unmarshal(out, &answer) != nil ||
		req["ReturnValuesOnConditionCheckFailure"] != "ALL_OLD" ||
		!strings.HasSuffix(fmt.Sprint(answer["__type"]), "#ConditionalCheckFailedException") {
		write(w, status, out)
		return
	}
	key, _ := req["Key"].(map[string]any)
	if item, ok := req["Item"].(map[string]any); ok {
		key = map[string]any{"pk": item["pk"], "sk": item["sk"]}
	}
	get, _ := json.Marshal(map[string]any{"TableName": req["TableName"], "Key": key, "ConsistentRead": true})
	g := r.Clone(r.Context())
	g.Header = r.Header.Clone()
	g.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
	gs, gout, err := p.forward(g, get)
	var found map[string]any
	if err != nil || gs != http.StatusOK || json.Unmarshal(gout, &found) != nil {
		http.Error(w, "reading the old item failed", http.StatusBadGateway)
		return
	}
	if found["Item"] != nil {
		answer["Item"] = found["Item"]
	}
	reply(w, status, answer)
}

func with(m map[string]any, k string, v any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	c[k] = v
	return c
}

func (p *faultProxy) forward(r *http.Request, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.Path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.Header.Del("Accept-Encoding")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

func reply(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	write(w, status, b)
}

// write answers as DynamoDB does, with the CRC32 of the body that the SDK
// checks.
func write(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	w.WriteHeader(status)
	w.Write(body)
}

// fastRetries makes the SDK's standard retryer retry throttling after
// milliseconds rather than seconds, attempts times in all, without its
// client-side retry quota, so that tests of many throttled calls are quick
// and independent.
func fastRetries(attempts int) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = attempts
			so.MaxBackoff = 5 * time.Millisecond
			so.RateLimiter = ratelimit.None
		})
	}
}
