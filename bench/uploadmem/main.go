// Command uploadmem measures the memory an intake upload costs to parse:
// the peak RSS growth (VmHWM) of contacts.ParseUpload on a 3,000-row XLSX
// whose rows also hold a cell in column XFD (the last of 16,384), the
// shape of issue #17 finding 5. Run: go run ./bench/uploadmem
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/wabascrm/scrm/models/contacts"
)

func main() {
	rows := flag.Int("rows", 3000, "data rows")
	col := flag.String("col", "XFD", "column of the far cell on every row")
	value := flag.String("value", "x", "text of the far cell (empty: a blank cell, as formatting leaves)")
	flag.Parse()
	data := workbook(*rows, *col, *value)
	runtime.GC()
	debug.FreeOSMemory()
	before := rss("VmRSS")
	resetPeak()
	t, format, err := contacts.ParseUpload(data)
	peak := rss("VmHWM")
	result := fmt.Sprintf("parsed %s: %d headers, %d rows", format, len(t.Headers), len(t.Rows))
	if err != nil {
		result = "refused: " + err.Error()
	}
	fmt.Printf("file %d bytes (%d rows, a cell %q in %s on each); RSS before %.1f MiB, peak %.1f MiB, growth %.1f MiB; %s\n",
		len(data), *rows, *value, *col, mib(before), mib(peak), mib(peak-before), result)
}

func workbook(rows int, col, value string) []byte {
	f := excelize.NewFile()
	must(f.SetSheetRow("Sheet1", "A1", &[]any{"phone", "name"}))
	for i := 2; i <= rows+1; i++ {
		n := strconv.Itoa(i)
		must(f.SetSheetRow("Sheet1", "A"+n, &[]any{"+62812" + fmt.Sprintf("%07d", i), "Nasabah " + n}))
		must(f.SetCellValue("Sheet1", col+n, value))
	}
	var buf bytes.Buffer
	must(f.Write(&buf))
	return buf.Bytes()
}

// rss reads a VmRSS/VmHWM line of /proc/self/status in bytes.
func rss(key string) int64 {
	raw, err := os.ReadFile("/proc/self/status")
	must(err)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// resetPeak clears VmHWM (Linux: writing 5 to clear_refs).
func resetPeak() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func must(err error) {
	if err != nil {
		panic(err)
	}
}
