package ydoc_test

import (
	"fmt"

	"github.com/coopbox/coopbox/services/pads/ydoc"
)

// Two peers sync as y-websocket does: each sends its state vector (sync
// step 1) and answers the other's with the updates it lacks (sync step 2).
func Example_sync() {
	server := ydoc.NewDoc(1)
	alice := ydoc.NewDoc(2)
	if _, err := alice.Text("t").Insert(0, "Hello 😀", nil); err != nil {
		panic(err)
	}
	step1 := ydoc.EncodeStateVector(server.StateVector())
	step2, err := alice.DiffUpdate(step1)
	if err != nil {
		panic(err)
	}
	if err := server.ApplyUpdate(step2); err != nil {
		panic(err)
	}
	u, _ := server.Text("t").Insert(ydoc.UTF16Len("Hello 😀"), " world", map[string]any{"bold": true})
	_ = alice.ApplyUpdate(u)
	fmt.Println(alice.Text("t").String(), alice.Text("t").Len())
	for _, op := range alice.Text("t").Delta() {
		fmt.Printf("%q %v\n", op.Insert, op.Attributes)
	}
	// Output:
	// Hello 😀 world 14
	// "Hello 😀" map[]
	// " world" map[bold:true]
}
