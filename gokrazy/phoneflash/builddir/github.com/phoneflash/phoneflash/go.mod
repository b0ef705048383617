module gokrazy/build/github.com/phoneflash/phoneflash

go 1.26.0

require github.com/phoneflash/phoneflash v0.0.0-00010101000000-000000000000

replace github.com/phoneflash/phoneflash => ../../../../../..
