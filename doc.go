// Package naskah is the domain of Naskah: agreements, their documents and
// versions, the roles of BPOM's SOP POM-13.01/CFM.01/SOP.01 (processes A, B
// and C as data), the working-day calendar, the audit chain and the error
// type. It does no I/O and imports only the standard library.
package naskah
