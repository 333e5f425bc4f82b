package naskah

import "strings"

// Role is an actor of the SOP.
type Role string

const (
	RoleKepala  Role = "KEPALA"  // Kepala BPOM
	RoleMadya   Role = "MADYA"   // Pejabat Pimpinan Tinggi Madya (Eselon I)
	RolePratama Role = "PRATAMA" // Pejabat Pimpinan Tinggi Pratama (Eselon II)
	RoleSestama Role = "SESTAMA" // Sekretaris Utama
	RoleBKH     Role = "BKH"     // Biro Kerja Sama dan Hubungan Masyarakat
	RoleBHO     Role = "BHO"     // Biro Hukum dan Organisasi
	RoleUnit    Role = "UNIT"    // Unit Kerja Pusat
	RoleUPT     Role = "UPT"     // UPT BPOM (Balai Besar / Balai / Loka POM)
	RoleKemenlu Role = "KEMENLU" // Kementerian Luar Negeri (external)
	RoleMitra   Role = "MITRA"   // Mitra kerja sama (external partner)
	RoleAdmin   Role = "ADMIN"   // operator of Naskah itself; no SOP step
)

// Roles lists the SOP's actors in the order the SOP names them.
var Roles = []Role{RoleKepala, RoleMadya, RolePratama, RoleSestama, RoleBKH, RoleBHO, RoleUnit, RoleUPT, RoleKemenlu, RoleMitra}

var roleNames = map[Role]string{
	RoleKepala:  "Kepala BPOM",
	RoleMadya:   "Pejabat Pimpinan Tinggi Madya",
	RolePratama: "Pejabat Pimpinan Tinggi Pratama",
	RoleSestama: "Sekretaris Utama",
	RoleBKH:     "Biro Kerja Sama dan Hubungan Masyarakat",
	RoleBHO:     "Biro Hukum dan Organisasi",
	RoleUnit:    "Unit Kerja Pusat",
	RoleUPT:     "UPT BPOM",
	RoleKemenlu: "Kementerian Luar Negeri",
	RoleMitra:   "Mitra kerja sama",
	RoleAdmin:   "Administrator Naskah",
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := roleNames[r]; return ok }

// Title is the role's Indonesian name, as the SOP writes it.
func (r Role) Title() string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return string(r)
}

// ParseRole accepts a role code in any case.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToUpper(strings.TrimSpace(s)))
	if !r.Valid() {
		return "", Errorf(EINVALID, "unknown role %q: use one of %s", s, joinRoles(append(Roles, RoleAdmin)))
	}
	return r, nil
}

// scoped reports whether the role acts only for its own unit.
func (r Role) scoped() bool { return r == RoleUnit || r == RoleUPT }

// Actor is a person acting in a role, for a unit (the unit matters for UNIT
// and UPT, who see and act on their own agreements only).
type Actor struct {
	User string `json:"user"`
	Name string `json:"name,omitempty"`
	Role Role   `json:"role"`
	Unit string `json:"unit,omitempty"`
}

// CanSee reports whether the actor may see the agreement: central roles see
// all, units and UPTs see their own, external parties see what they are party to.
func (a Actor) CanSee(ag *Agreement) bool {
	switch a.Role {
	case RoleUnit, RoleUPT:
		return a.Unit != "" && a.Unit == ag.Unit
	case RoleMitra:
		return a.Unit != "" && strings.EqualFold(a.Unit, ag.Partner.Name)
	case RoleKemenlu:
		return ag.Scope == ScopeForeign
	}
	return a.Role.Valid()
}

func joinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	switch len(s) {
	case 0:
		return "nobody"
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
