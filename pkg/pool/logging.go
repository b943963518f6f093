package pool

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"reflect"
	"time"

	"github.com/rs/zerolog"
)

// defaultLogger is the log of a pool given none: what worker processes
// print, and the pool's own warnings, as text lines on this process's
// stderr, each with the worker's id and pid, as a child process that
// inherited stderr would print, but attributed.
func defaultLogger() zerolog.Logger {
	return zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: time.TimeOnly, NoColor: true}).
		Level(zerolog.InfoLevel).With().Timestamp().Logger()
}

// unset reports whether l is the zero Logger, which Options leaves for the
// default; zerolog.Nop() is not, and discards.
func unset(l zerolog.Logger) bool { return reflect.ValueOf(l).IsZero() }

// WithSlog sends the pool's log, and what its workers print, to l: each
// line a record with the worker's id and pid as attributes, at the level
// the worker gave it (info for plain lines).
func WithSlog(l *slog.Logger) Option {
	return func(o *Options) { o.Logger = zerolog.New(slogWriter{l}).Level(zerolog.TraceLevel) }
}

// slogWriter turns the JSON lines zerolog writes into slog records.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	var fields map[string]any
	if err := json.Unmarshal(p, &fields); err != nil {
		w.l.Info(string(p))
		return len(p), nil
	}
	level := slog.LevelInfo
	if s, ok := fields[zerolog.LevelFieldName].(string); ok {
		if zl, err := zerolog.ParseLevel(s); err == nil {
			level = slogLevel(zl)
		}
	}
	msg, _ := fields[zerolog.MessageFieldName].(string)
	delete(fields, zerolog.LevelFieldName)
	delete(fields, zerolog.MessageFieldName)
	attrs := make([]slog.Attr, 0, len(fields))
	for k, v := range fields {
		if f, ok := v.(float64); ok && f == float64(int64(f)) {
			v = int64(f) // ids and pids, as zerolog wrote them
		}
		attrs = append(attrs, slog.Any(k, v))
	}
	w.l.LogAttrs(context.Background(), level, msg, attrs...)
	return len(p), nil
}

func slogLevel(l zerolog.Level) slog.Level {
	switch {
	case l <= zerolog.DebugLevel:
		return slog.LevelDebug
	case l == zerolog.InfoLevel:
		return slog.LevelInfo
	case l == zerolog.WarnLevel:
		return slog.LevelWarn
	}
	return slog.LevelError
}
