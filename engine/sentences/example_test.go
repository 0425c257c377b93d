package sentences_test

import (
	"fmt"

	"github.com/watchfloor/watchfloor/engine/sentences"
)

func ExampleSplit() {
	text := "Iraq builds database\nGen. Smith said the U.S. Army helped. “Why?” he asked. Nobody knew."
	for _, s := range sentences.Split(text) {
		fmt.Println(text[s.Start:s.End])
	}
	// Output:
	// Iraq builds database
	// Gen. Smith said the U.S. Army helped.
	// “Why?” he asked.
	// Nobody knew.
}
