package reports

import (
	"encoding/base64"
	"os"
	"testing"
)

func TestZZShot(t *testing.T) {
	path := os.Getenv("ZZ_PAGE")
	if path == "" {
		t.Skip()
	}
	b := startBrowser(t, findChromium(t))
	b.openReport(t, path)
	var y float64
	if err := b.cdp.eval(`document.getElementById(`+"`"+os.Getenv("ZZ_ID")+"`"+`).getBoundingClientRect().top + window.scrollY`, &y); err != nil {
		t.Fatal(err)
	}
	var shot struct{ Data string }
	if err := b.cdp.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": y, "width": 1280, "height": 1300, "scale": 1}}, &shot); err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(shot.Data)
	os.WriteFile(os.Getenv("ZZ_OUT"), raw, 0o644)
}
