package main

import (
	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/api"
	"github.com/pairpad/pairpad/autocomplete"
)

// newAutocomplete builds the /autocomplete handler from the configuration.
func newAutocomplete(cfg Config, log *zap.Logger) (gin.HandlerFunc, error) {
	svc, err := autocomplete.NewService(autocomplete.Config{
		URL:           cfg.AutocompleteURL,
		Model:         cfg.AutocompleteModel,
		APIKey:        cfg.AutocompleteAPIKey,
		Timeout:       cfg.AutocompleteTimeout,
		MaxCodeBytes:  int(cfg.AutocompleteMaxCodeBytes),
		RatePerSecond: cfg.AutocompleteRate,
		Burst:         cfg.AutocompleteBurst,
	}, log)
	if err != nil {
		return nil, err
	}
	return api.AutocompleteHandler(svc, 0), nil // 0: sized from MaxCodeBytes, allowing for JSON escapes
}
