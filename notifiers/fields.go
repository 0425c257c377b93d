package notifiers

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// FieldNames returns the names of a match's event fields in the order
// every output shows them: fields holding a number first (the toll, the
// head-count), then the others, each group by name. Match.Fields is a
// map and JSON sorts its keys, so the order comes from the values, the
// same before and after an alert goes through the outbox.
func FieldNames(fields map[string]any) []string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		ni, nj := isNumber(fields[names[i]]), isNumber(fields[names[j]])
		if ni != nj {
			return ni
		}
		return names[i] < names[j]
	})
	return names
}

// FieldText renders one field value as text on one line: numbers without
// a trailing ".0" (12, 1.5), lists joined with ", ", white space
// collapsed. A nil value is "".
func FieldText(v any) string {
	return strings.Join(strings.Fields(fieldText(v)), " ")
}

func fieldText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []string:
		return strings.Join(x, ", ")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fieldText(e)
		}
		return strings.Join(parts, ", ")
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.Slice, reflect.Array:
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = fieldText(rv.Index(i).Interface())
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

// isNumber reports whether v is a number, or a list of numbers only.
func isNumber(v any) bool {
	switch x := v.(type) {
	case json.Number:
		return true
	case []any:
		for _, e := range x {
			if !isNumber(e) {
				return false
			}
		}
		return len(x) > 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	case reflect.Slice, reflect.Array:
		if rv.Len() == 0 || rv.Type().Elem().Kind() == reflect.Interface {
			return false
		}
		return isNumber(reflect.Zero(rv.Type().Elem()).Interface())
	}
	return false
}

// FieldsLine renders a match's event fields as one line,
// "killed: 12 · group: ISIS · place: Tal Afar", in FieldNames order; ""
// when there are none.
func FieldsLine(fields map[string]any) string {
	parts := make([]string, 0, len(fields))
	for _, k := range FieldNames(fields) {
		parts = append(parts, k+": "+FieldText(fields[k]))
	}
	return strings.Join(parts, " · ")
}
