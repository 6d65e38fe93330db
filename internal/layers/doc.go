// Package layers holds no code: its test checks that coroner's import
// graph keeps the layers the README's layout table describes.
package layers
