package task

import (
	"errors"
	"fmt"
	"sync"
)

// Errors that keep their identity across the process boundary: a function
// in a worker process that returns an error matching a registered one
// (errors.Is) sends its code with the failure, and the coordinator, which
// registered the same error under the same code, hands the caller an error
// that matches it again, as pickle restores an exception by its class's
// name. Register them in package variables, as functions are, so that
// every process of the program has them.
var registeredErrors struct {
	mu     sync.RWMutex
	byCode map[string]error
	codes  []string // in registration order: the first match wins
}

// RegisterError registers err under code, for errors.Is across processes,
// and returns err:
//
//	var ErrUnlucky = task.RegisterError("myapp.unlucky", errors.New("unlucky"))
//
// A task that returns an error wrapping ErrUnlucky then fails, in process
// mode as in thread mode, with a *pool.TaskError for which
// errors.Is(err, ErrUnlucky) holds. It panics if code is empty or taken,
// or err is nil: a mistake in the program, found at start-up.
func RegisterError(code string, err error) error {
	if code == "" || err == nil {
		panic("task: RegisterError needs a code and an error")
	}
	registeredErrors.mu.Lock()
	defer registeredErrors.mu.Unlock()
	if registeredErrors.byCode == nil {
		registeredErrors.byCode = map[string]error{}
	}
	if _, taken := registeredErrors.byCode[code]; taken {
		panic(fmt.Sprintf("task: error code %q registered twice", code))
	}
	registeredErrors.byCode[code] = err
	registeredErrors.codes = append(registeredErrors.codes, code)
	return err
}

// ErrorCode returns the code of the first registered error that err
// matches (errors.Is), or "".
func ErrorCode(err error) string {
	registeredErrors.mu.RLock()
	defer registeredErrors.mu.RUnlock()
	for _, code := range registeredErrors.codes {
		if errors.Is(err, registeredErrors.byCode[code]) {
			return code
		}
	}
	return ""
}

// ErrorOf returns the error registered under code, or nil.
func ErrorOf(code string) error {
	registeredErrors.mu.RLock()
	defer registeredErrors.mu.RUnlock()
	return registeredErrors.byCode[code]
}
