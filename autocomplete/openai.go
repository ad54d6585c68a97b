package autocomplete

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// OpenAIName is the name the OpenAI-compatible engine reports.
const OpenAIName = "openai"

// OpenAI asks an OpenAI-compatible completions endpoint (a local llama.cpp
// server, Ollama, vLLM, ...) for a continuation of the code before the
// cursor. It posts to BaseURL + "/v1/completions"; a BaseURL that already
// ends in "/v1" gets only "/completions". It holds no mutable state and is
// safe for concurrent use. Deadlines come from ctx (the Service applies
// Config.Timeout); errors are returned so the Service can fall back.
type OpenAI struct {
	endpoint string
	model    string
	apiKey   string
	client   *http.Client
}

// Prompt budget: the engine sends at most this much code around the cursor.
const (
	openAIPromptBytes = 4 << 10
	openAISuffixBytes = 1 << 10
	openAIMaxTokens   = 64
	openAIMaxBody     = 1 << 20
)

// NewOpenAI returns an engine for baseURL (e.g. "http://127.0.0.1:8080" for
// llama.cpp, "http://127.0.0.1:11434" for Ollama). apiKey, when set, is sent
// as a Bearer token. client may be nil for http.DefaultClient.
func NewOpenAI(baseURL, model, apiKey string, client *http.Client) *OpenAI {
	base := strings.TrimRight(baseURL, "/")
	endpoint := base + "/v1/completions"
	if strings.HasSuffix(base, "/v1") {
		endpoint = base + "/completions"
	}
	if client == nil {
		client = http.DefaultClient
	}
	return &OpenAI{endpoint: endpoint, model: model, apiKey: apiKey, client: client}
}

// Name returns "openai".
func (*OpenAI) Name() string { return OpenAIName }

type completionRequest struct {
	Model       string   `json:"model,omitempty"`
	Prompt      string   `json:"prompt"`
	Suffix      string   `json:"suffix,omitempty"`
	MaxTokens   int      `json:"max_tokens"`
	Temperature float64  `json:"temperature"`
	N           int      `json:"n,omitempty"`
	Stop        []string `json:"stop,omitempty"`
}

type completionResponse struct {
	Choices []struct {
		Text string `json:"text"`
	} `json:"choices"`
}

// Complete implements Engine.
func (e *OpenAI) Complete(ctx context.Context, req Request) ([]Suggestion, error) {
	cur, _, ok := byteOffset(req.Code, req.Cursor)
	if !ok {
		return nil, &FieldError{Field: "cursor", Message: "is outside the code"}
	}
	start := max(0, cur-openAIPromptBytes)
	for start < cur && start > 0 && !isRuneStart(req.Code[start]) {
		start++
	}
	end := min(len(req.Code), cur+openAISuffixBytes)
	for end > cur && end < len(req.Code) && !isRuneStart(req.Code[end]) {
		end--
	}
	body, err := json.Marshal(completionRequest{
		Model:       e.model,
		Prompt:      req.Code[start:cur],
		Suffix:      req.Code[cur:end],
		MaxTokens:   openAIMaxTokens,
		Temperature: 0.2,
		Stop:        []string{"\n\n\n"},
	})
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, e.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	if e.apiKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+e.apiKey)
	}
	resp, err := e.client.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("openai: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		return nil, fmt.Errorf("openai: status %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	var cr completionResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, openAIMaxBody)).Decode(&cr); err != nil {
		return nil, fmt.Errorf("openai: decoding response: %w", err)
	}
	if cr.Choices == nil {
		return nil, errors.New("openai: response has no choices")
	}
	out := make([]Suggestion, 0, len(cr.Choices))
	for _, ch := range cr.Choices {
		text := strings.TrimRight(ch.Text, " \t\n")
		if strings.TrimSpace(text) == "" {
			continue
		}
		label, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
		out = append(out, Suggestion{Text: text, Label: label, Kind: KindModel})
	}
	return out, nil
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
