package task_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

// Types that cross a process boundary unchanged, or not.
type (
	Point struct {
		X      int
		secret int
	}
	Exported struct{ X, Y int }
	Skipped  struct {
		X      int
		secret int    `msgpack:"-"`
		Fn     func() `msgpack:"-,omitempty"`
	}
	AsArray struct {
		_msgpack struct{} `msgpack:",as_array"`
		X        int
		_        int
	}
	Outer   struct{ In Inner }
	Inner   struct{ P Point }
	Linked  struct{ Next *Point }
	Polygon struct{ Points []Point }
	Atlas   struct{ ByName map[string]Point }
	Tree    struct {
		Kids   []Tree
		Next   *Tree
		ByName map[string]*Tree
		V      int
	}
	BadTree struct {
		Kids []BadTree
		Leaf *Leaf
	}
	Leaf   struct{ Named map[string][]Point }
	base   struct{ X int }
	hidden struct{ X, y int }
	myInt  int
	Embeds struct {
		base
		Z int
	}
	EmbedsY struct {
		hidden
		Z int
	}
	EmbedsP struct {
		*base
		Z int
	}
	EmbedsI struct {
		myInt
		Z int
	}
	EmbedsE struct {
		*Exported
		Z int
	}
	WithChan struct{ C chan int }
	WithFns  struct{ Fns map[string]func() }
	WithAddr struct{ P unsafe.Pointer }
	WithUint struct{ U uintptr }
	WithCplx struct{ C complex128 }
	WithIfcs struct {
		A   any
		Err error
	}
	WithStringer struct{ S fmt.Stringer }
	Stamped      struct {
		At  time.Time
		Big *big.Int
	}
)

// Codec's methods have pointer receivers, as most do; ValCodec encodes with
// a value receiver. Both keep an unexported field.
type (
	Codec    struct{ v int }
	ValCodec struct{ v int }
	OnlyEnc  int
	OnlyDec  struct{ V int }
)

func (c *Codec) MarshalMsgpack() ([]byte, error)    { return msgpack.Marshal(c.v) }
func (c *Codec) UnmarshalMsgpack(b []byte) error    { return msgpack.Unmarshal(b, &c.v) }
func (c ValCodec) MarshalMsgpack() ([]byte, error)  { return msgpack.Marshal(c.v) }
func (c *ValCodec) UnmarshalMsgpack(b []byte) error { return msgpack.Unmarshal(b, &c.v) }
func (o OnlyEnc) MarshalText() ([]byte, error)      { return []byte("x"), nil }
func (o *OnlyDec) UnmarshalBinary(b []byte) error   { o.V = len(b); return nil }

// A crossingCase is a type, a value of it with every field set, and what
// its registration panics with after naming the type ("" if it is accepted).
type crossingCase struct {
	typ       reflect.Type
	refused   string
	register  func(name string)
	comesBack func() bool // whether the value survives msgpack unchanged; nil: not tried
}

func cross[T any](v T, refused string) crossingCase {
	return crossingCase{
		typ:     reflect.TypeFor[T](),
		refused: refused,
		register: func(name string) {
			task.Register(name, func(context.Context, T) (int, error) { return 0, nil })
		},
		comesBack: func() (same bool) {
			defer func() { _ = recover() }() // msgpack panicked: not the same
			raw, err := task.Marshal(&v)
			var out T
			if err == nil {
				err = task.Unmarshal(raw, &out)
			}
			return err == nil && reflect.DeepEqual(v, out)
		},
	}
}

func withoutTrip(tc crossingCase) crossingCase {
	tc.comesBack = nil
	return tc
}

var crossingCases = []crossingCase{
	cross(1, ""),
	cross("s", ""),
	cross([]byte("b"), ""),
	cross(map[string][]int{"a": {1}}, ""),
	cross(Exported{1, 2}, ""),
	cross(&Exported{1, 2}, ""),
	cross([2]Exported{{1, 2}, {3, 4}}, ""),
	cross(Skipped{X: 1}, ""),
	cross(AsArray{X: 1}, ""),
	cross(Tree{Kids: []Tree{{V: 2}}, Next: &Tree{V: 3}, ByName: map[string]*Tree{"a": {V: 4}}, V: 1}, ""),
	cross(Embeds{base{1}, 2}, ""),
	// Not decoded here: msgpack allocates embedded pointers from a
	// goroutine per type that runs forever, which goleak would report.
	withoutTrip(cross(EmbedsE{&Exported{1, 2}, 3}, "")),
	cross(time.Unix(5, 7), ""),
	cross(Stamped{time.Unix(5, 7), big.NewInt(8)}, ""),
	cross(Codec{1}, ""),
	cross([]Codec{{1}}, ""),
	cross(map[string]*Codec{"a": {1}}, ""),
	cross(map[string]ValCodec{"a": {1}}, ""),
	cross(WithIfcs{"s", errors.New("e")}, ""),

	cross(Point{1, 2}, "field Point.secret (unexported) would arrive as zero in a worker process; export it, tag it msgpack:\"-\", or give task_test.Point a msgpack encoder"),
	cross(&Point{1, 2}, "field Point.secret (unexported)"),
	cross(Outer{Inner{Point{1, 2}}}, "field Outer.In.P.secret (unexported)"),
	cross(Linked{&Point{1, 2}}, "field Linked.Next.secret (unexported)"),
	cross([]Point{{1, 2}}, "field [i].secret (unexported)"),
	cross(Polygon{[]Point{{1, 2}}}, "field Polygon.Points[i].secret (unexported)"),
	cross(map[string]Point{"a": {1, 2}}, "field [k].secret (unexported)"),
	cross(Atlas{map[string]Point{"a": {1, 2}}}, "field Atlas.ByName[k].secret (unexported)"),
	cross(map[Point]int{{1, 2}: 3}, "field {key}.secret (unexported)"),
	cross(BadTree{Leaf: &Leaf{map[string][]Point{"a": {{1, 2}}}}}, "field BadTree.Leaf.Named[k][i].secret (unexported)"),
	cross(EmbedsY{hidden{1, 2}, 3}, "field EmbedsY.hidden.y (unexported)"),
	cross(EmbedsP{&base{1}, 2}, "field EmbedsP.base (embedded *task_test.base, unexported) cannot be set by a worker process"),
	cross(EmbedsI{1, 2}, "field EmbedsI.myInt (embedded task_test.myInt, unexported) cannot be set by a worker process"),
	cross(func() {}, "it is a func, which cannot cross a process boundary: functions travel by name (register it)"),
	cross(make(chan int), "it is a channel"),
	cross(WithChan{make(chan int)}, "field WithChan.C is a channel, which cannot cross a process boundary; send what it carries, or tag the field msgpack:\"-\""),
	cross(WithFns{map[string]func(){"f": func() {}}}, "WithFns.Fns[k] is a func"),
	cross(WithAddr{unsafe.Pointer(new(int))}, "field WithAddr.P is an unsafe.Pointer"),
	cross(WithUint{1}, "field WithUint.U is a uintptr, which msgpack cannot encode"),
	cross(WithCplx{1i}, "field WithCplx.C is a complex number, which msgpack cannot encode"),
	cross(WithStringer{time.Second}, "field WithStringer.S is an interface (fmt.Stringer), which a worker process cannot decode into"),
	cross(OnlyEnc(1), "it has a msgpack encoder but no decoder"),
	cross(OnlyDec{1}, "it has a msgpack decoder but no encoder"),
	cross(map[string]Codec{"a": {1}}, "[k] encodes with a pointer method (*task_test.Codec), which msgpack cannot call on a map key"),
}

// Registration refuses a type whose values would change on their way to a
// worker process, naming the function, the type and the field at fault; it
// accepts the others. Each refused value indeed fails to come back.
func TestRegisterChecksTypes(t *testing.T) {
	for i, tc := range crossingCases {
		name := fmt.Sprintf("tasktest.crossing.%d", i)
		t.Run(tc.typ.String(), func(t *testing.T) {
			if tc.comesBack != nil {
				if back := tc.comesBack(); back != (tc.refused == "") {
					t.Errorf("a value survives msgpack: %v; the case says refused %q", back, tc.refused)
				}
			}
			p := panicOf(func() { tc.register(name) })
			if tc.refused == "" {
				if p != nil {
					t.Errorf("refused: %v", p)
				}
				return
			}
			want := fmt.Sprintf("task: %s: argument type %v: %s", name, tc.typ, tc.refused)
			if s, _ := p.(string); !strings.HasPrefix(s, want) {
				t.Errorf("panic %v\nwant %s…", p, want)
			}
			if _, ok := task.Default.Lookup(name); ok {
				t.Error("the refused function is registered")
			}
		})
	}
}

func panicOf(fn func()) (p any) {
	defer func() { p = recover() }()
	fn()
	return nil
}

// Every registration form checks its types: arguments, results, and what
// Bind fixes in an interface-typed first argument.
func TestEveryRegistrationFormChecksTypes(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		register   func(name string)
	}{
		{"tasktest.form.arg", "argument type task_test.Point", func(n string) {
			task.Register(n, func(context.Context, Point) (int, error) { return 0, nil })
		}},
		{"tasktest.form.result", "result type []task_test.Point", func(n string) {
			task.Register(n, func(context.Context, int) ([]Point, error) { return nil, nil })
		}},
		{"tasktest.form.arg1", "argument 1 type task_test.Point", func(n string) {
			task.Register2(n, func(context.Context, Point, int) (int, error) { return 0, nil })
		}},
		{"tasktest.form.arg2", "argument 2 type *task_test.Point", func(n string) {
			task.Register2(n, func(context.Context, int, *Point) (int, error) { return 0, nil })
		}},
		{"tasktest.form.result2", "result type map[string]task_test.Point", func(n string) {
			task.Register2(n, func(context.Context, int, int) (map[string]Point, error) { return nil, nil })
		}},
	} {
		p := panicOf(func() { tc.register(tc.name) })
		if s, _ := p.(string); !strings.HasPrefix(s, "task: "+tc.name+": "+tc.want+": ") || !strings.Contains(s, ".secret (unexported)") {
			t.Errorf("%s: panic %v, want one about %s", tc.name, p, tc.want)
		}
	}

	// Register2 accepts an interface, whose content only Bind sees.
	f := task.Register2("tasktest.form.bind", func(_ context.Context, b any, _ int) (string, error) { return fmt.Sprint(b), nil })
	err := task.Bind(f, any(Point{1, 2})).Err()
	if err == nil || err.Error() != `task: cannot bind task_test.Point to tasktest.form.bind: field Point.secret (unexported) would arrive as zero in a worker process; export it, tag it msgpack:"-", or give task_test.Point a msgpack encoder` {
		t.Errorf("Bind: %v", err)
	}
	if err := f.Call(any(map[string]Codec{}), 1).Err(); err == nil || !strings.Contains(err.Error(), "[k] encodes with a pointer method") {
		t.Errorf("Func2.Call: %v", err)
	}
	for _, ok := range []any{nil, 1, Exported{1, 2}, &Codec{1}, time.Unix(5, 0)} {
		if err := task.Bind(f, ok).Err(); err != nil {
			t.Errorf("Bind(%T): %v", ok, err)
		}
	}
}

// What an interface-typed argument holds is seen only when the call is
// made: a process pool refuses it then, naming its index, as README's
// "What can cross" says.
func TestPoolRefusesWhatAnInterfaceHolds(t *testing.T) {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = pool.Map(ctx, p, task.Bind(anyArgs, any(1)), []any{2, make(chan int)})
	if err == nil || !strings.Contains(err.Error(), "pool: args[1]: task: cannot send a chan int to tasktest.any") {
		t.Errorf("got %v", err)
	}
}
