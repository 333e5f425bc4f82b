package searchtest

import (
	"time"

	"github.com/bpom/naskah/search"
)

// Partner kinds, as the SOP names them (Pelaku Usaha, Pemerintah,
// Organisasi Internasional, Masyarakat, Akademisi).
const (
	PartnerBusiness      = "business"
	PartnerGovernment    = "government"
	PartnerInternational = "international_organization"
	PartnerSociety       = "society"
	PartnerAcademia      = "academia"
)

type agreement struct {
	id, number, title, kind, scope, partner, partnerKind, country, unit, step, status string
	signed                                                                            string // YYYY-MM-DD, "" when unsigned
	years                                                                             int    // validity
	text                                                                              string
}

// The relevance set. Words are chosen so that each query in cases has a
// known answer: "perjanjian" appears only in PKS titles, "kesepahaman" only
// in domestic MoU titles, and no other word lies within two typos of either.
var agreements = []agreement{
	{"a01", "HK.07.01.1.2021.001", "Nota Kesepahaman tentang Pengawasan Obat dan Makanan di Provinsi Jawa Timur", "mou", "domestic",
		"Pemerintah Provinsi Jawa Timur", PartnerGovernment, "ID", "bbpom-surabaya", "A10", "signed", "2021-03-15", 5,
		"Kedua pihak sepakat bekerja sama dalam pengawasan obat dan makanan di wilayah provinsi, termasuk sampling, pengujian laboratorium dan pertukaran data hasil pengawasan."},
	{"a02", "HK.07.02.2.2022.014", "Perjanjian Kerja Sama Pengujian Laboratorium Pangan Olahan", "pks", "domestic",
		"Universitas Airlangga", PartnerAcademia, "ID", "bbpom-surabaya", "A10", "signed", "2022-06-01", 3,
		"Pengujian sampel pangan olahan oleh laboratorium universitas, magang mahasiswa farmasi dan penelitian bersama mutu pangan."},
	{"a03", "MOU-AU-2019", "Memorandum of Understanding on Cooperation in the Field of Medical Products Regulation", "mou", "foreign",
		"Therapeutic Goods Administration", PartnerGovernment, "AU", "bkh", "B11", "signed", "2019-11-20", 5,
		"The participants will cooperate on regulatory matters, including the exchange of information on good manufacturing practice inspections of medical products."},
	{"a04", "LOI-WHO-2023", "Letter of Intent on Vaccine Regulatory Reliance", "loi", "foreign",
		"World Health Organization", PartnerInternational, "CH", "dit-obat", "B11", "signed", "2023-02-08", 3,
		"Both sides intend to strengthen a reliance pathway for vaccine lot release and prequalification, with joint assessments of vaccine dossiers."},
	{"a05", "ROD-MY-2020", "Record of Discussion on Halal Cosmetics Trade", "rod", "foreign",
		"Ministry of Health Malaysia", PartnerGovernment, "MY", "dit-kosmetik", "B11", "signed", "2020-09-10", 2,
		"The delegations discussed notification of cosmetics, halal certification and post-market surveillance of cosmetic products."},
	{"a06", "MOM-PH-2018", "Minutes of Meeting of the Joint Committee on Food Safety", "mom", "foreign",
		"Food and Drug Administration Philippines", PartnerGovernment, "PH", "dit-pangan", "B11", "signed", "2018-05-22", 2,
		"The committee reviewed border inspection of processed food, laboratory capacity and a rapid alert system for food safety incidents."},
	{"a07", "HK.07.03.2.2023.031", "Perjanjian Kerja Sama Edukasi Keamanan Pangan Jajanan Anak Sekolah", "pks", "domestic",
		"PT Indofood Sukses Makmur Tbk", PartnerBusiness, "ID", "dit-pangan", "A10", "signed", "2023-07-17", 3,
		"Edukasi keamanan pangan jajanan anak sekolah melalui kantin sehat, pelatihan guru dan penyuluhan orang tua murid."},
	{"a08", "HK.07.01.1.2022.009", "Nota Kesepahaman Gerakan Nasional Waspada Obat Ilegal", "mou", "domestic",
		"Pimpinan Pusat Muhammadiyah", PartnerSociety, "ID", "dit-obat", "A10", "signed", "2022-01-25", 5,
		"Gerakan bersama melawan peredaran obat ilegal dan obat palsu melalui dakwah, komunikasi risiko dan pelaporan masyarakat."},
	{"a09", "HK.07.02.2.2020.022", "Perjanjian Kerja Sama Penelitian Obat Bahan Alam", "pks", "domestic",
		"Institut Teknologi Bandung", PartnerAcademia, "ID", "dit-obat", "A10", "signed", "2020-08-03", 4,
		"Penelitian dan pengembangan obat bahan alam Indonesia, uji praklinik dan standardisasi ekstrak jamu."},
	{"a10", "AGR-PICS-2024", "Agreement on Mutual Recognition of Pharmaceutical Inspection", "agreement", "foreign",
		"Pharmaceutical Inspection Co-operation Scheme", PartnerInternational, "CH", "dit-obat", "B11", "signed", "2024-04-02", 5,
		"Mutual recognition of inspection outcomes for pharmaceutical manufacturers and harmonised training of inspectors."},
	{"a11", "ARR-JP-2021", "Arrangement on Food Import Control", "arrangement", "foreign",
		"Ministry of Health, Labour and Welfare Japan", PartnerGovernment, "JP", "dit-pangan", "B11", "signed", "2021-10-12", 4,
		"Procedures for import control of processed food, sharing of residue testing results and certificates."},
	{"a12", "HK.07.01.1.2019.004", "Nota Kesepahaman Pengembangan Industri Kosmetik Nasional", "mou", "domestic",
		"Persatuan Perusahaan Kosmetika Indonesia", PartnerBusiness, "ID", "dit-kosmetik", "A10", "signed", "2019-02-14", 5,
		"Pembinaan industri kosmetik kecil dan menengah, pendampingan cara pembuatan kosmetik yang baik dan promosi ekspor."},
	{"a13", "HK.07.02.2.2022.040", "Perjanjian Kerja Sama Pemberdayaan Masyarakat Desa Pangan Aman", "pks", "domestic",
		"Tim Penggerak PKK Kabupaten Sleman", PartnerSociety, "ID", "bbpom-yogyakarta", "A10", "signed", "2022-10-05", 3,
		"Pendampingan desa agar pangan yang beredar aman, kader keamanan pangan desa dan pasar aman dari bahan berbahaya."},
	{"a14", "MOU-US-2023", "Memorandum of Understanding on Regulatory Science Training", "mou", "foreign",
		"University of Maryland", PartnerAcademia, "US", "bkh", "B11", "signed", "2023-09-28", 5,
		"Training programmes in regulatory science, fellowships for reviewers and joint workshops on clinical trial oversight."},
	{"a15", "", "Letter of Intent on Halal Supply Chain Traceability", "loi", "foreign",
		"Halal Development Corporation", PartnerBusiness, "MY", "dit-pangan", "B2", "draft", "", 0,
		"A proposed traceability system for halal food supply chains, from slaughterhouse to retail."},
	{"a16", "HK.07.02.1.2024.002", "Perjanjian Kerja Sama Pertukaran Data Perizinan Berusaha", "pks", "domestic",
		"Kementerian Investasi", PartnerGovernment, "ID", "bkh", "A10", "signed", "2024-01-30", 5,
		"Integrasi sistem perizinan berusaha berbasis risiko dan pertukaran data izin edar secara elektronik."},
	{"a17", "MOU-FAO-2021", "Memorandum of Understanding on Antimicrobial Resistance Surveillance", "mou", "foreign",
		"Food and Agriculture Organization of the United Nations", PartnerInternational, "IT", "dit-pangan", "B11", "signed", "2021-06-18", 5,
		"Surveillance of antimicrobial resistance along the food chain and capacity building for laboratories."},
	{"a18", "HK.07.02.1.2017.011", "Perjanjian Kerja Sama Pengawasan Obat Tradisional di Pelabuhan", "pks", "domestic",
		"Direktorat Jenderal Bea dan Cukai", PartnerGovernment, "ID", "bbpom-medan", "A10", "signed", "2017-04-11", 5,
		"Pengawasan pemasukan obat tradisional melalui pelabuhan laut dan bandar udara, termasuk penindakan barang ilegal."},
	{"a19", "JS-INTERPOL-2016", "Joint Statement on Combating Counterfeit Medicines", "other", "foreign",
		"INTERPOL", PartnerInternational, "FR", "dit-obat", "B11", "signed", "2016-12-01", 5,
		"Coordinated operations against counterfeit medicines sold online, known as Operation Pangea."},
	{"a20", "HK.07.01.1.2018.007", "Nota Kesepahaman Pendidikan dan Penelitian Farmasi", "mou", "domestic",
		"Universitas Gadjah Mada", PartnerAcademia, "ID", "bbpom-yogyakarta", "A10", "signed", "2018-08-20", 5,
		"Kerja sama pendidikan apoteker, penelitian farmasi dan pengabdian kepada masyarakat."},
}

// versions are document-version documents of some agreements.
var versions = []search.Doc{
	{ID: "v01-1", Type: search.TypeVersion, AgreementID: "a01", Title: agreements[0].title, Kind: "mou", Scope: "domestic",
		Unit: "bbpom-surabaya", Step: "A1", DocumentKind: "initial_draft", Version: 1,
		Text: "Draft awal nota kesepahaman pengawasan obat dan makanan."},
	{ID: "v01-2", Type: search.TypeVersion, AgreementID: "a01", Title: agreements[0].title, Kind: "mou", Scope: "domestic",
		Unit: "bbpom-surabaya", Step: "A4", DocumentKind: "final_draft", Version: 2,
		Text: "Draft final hasil rumusan Biro Hukum dan Organisasi."},
	{ID: "v03-1", Type: search.TypeVersion, AgreementID: "a03", Title: agreements[2].title, Kind: "mou", Scope: "foreign",
		Unit: "bkh", Step: "B11", DocumentKind: "ctc", Version: 3,
		Text: "Certified true copy issued by the treaty room of the Ministry of Foreign Affairs."},
	{ID: "v14-1", Type: search.TypeVersion, AgreementID: "a14", Title: agreements[13].title, Kind: "mou", Scope: "foreign",
		Unit: "bkh", Step: "B2", DocumentKind: "counter_draft", Version: 1,
		Text: "Counter draft from the partner proposing fellowships for reviewers."},
}

// Docs returns the relevance set: 20 agreement documents (IDs a01…a20) and
// 4 version documents. Each call returns fresh values.
func Docs() []search.Doc {
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	var docs []search.Doc
	for k, a := range agreements {
		d := search.Doc{
			ID: a.id, Type: search.TypeAgreement, AgreementID: a.id, Number: a.number, Title: a.title,
			Kind: a.kind, Scope: a.scope, PartnerName: a.partner, PartnerKind: a.partnerKind,
			PartnerCountry: a.country, Unit: a.unit, Step: a.step, Status: a.status, Text: a.text,
			UpdatedAt: base.Add(time.Duration(k) * time.Hour),
		}
		if a.signed != "" {
			t, err := time.Parse(time.DateOnly, a.signed)
			if err != nil {
				panic(err)
			}
			d.SignedAt, d.YearSigned, d.ExpiresAt = t, t.Year(), t.AddDate(a.years, 0, 0)
		}
		docs = append(docs, d)
	}
	for k, v := range versions {
		v.UpdatedAt = base.Add(-time.Duration(k+1) * time.Hour)
		docs = append(docs, v)
	}
	return docs
}
