// Package firmware reads and stores Cisco 79x1 firmware: the signed-file
// header, .loads lists, COP/zip/tar import, a store with manifests, and
// upgrade plans. It uses the standard library only.
package firmware
