package dynamostore_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/store/dynamostore"
)

func TestNewRefusesBadOptions(t *testing.T) {
	api := newClient("http://127.0.0.1:1")
	tests := []struct {
		name    string
		table   string
		sources []dynamostore.Source
		want    string
	}{
		{"NoTable", "", nil, "empty table name"},
		{"SourceWithoutTable", "t", []dynamostore.Source{{KeyAttribute: "email"}}, "Sources[0]: empty Table"},
		{"SourceWithoutKey", "t", []dynamostore.Source{{Table: "bounces"}}, "Sources[0]: empty KeyAttribute"},
		{"SourceIsTheTable", "t", []dynamostore.Source{{Table: "t", KeyAttribute: "email"}}, `table "t" is read already`},
		{"SourceTwice", "t", []dynamostore.Source{{Table: "b", KeyAttribute: "email"}, {Table: "b", KeyAttribute: "email"}}, `Sources[1]: table "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dynamostore.New(api, tt.table, func(o *dynamostore.Options) { o.Sources = tt.sources })
			require.ErrorContains(t, err, tt.want)
		})
	}
	_, err := dynamostore.New(nil, "t")
	require.ErrorContains(t, err, "nil API")
}
