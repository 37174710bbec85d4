#include "pdf/helper/mupdf_document.h"

#include <mupdf/fitz.h>
#include <mupdf/pdf.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <map>

#include "pdf/pdf_errors.h"

namespace ingestd::pdf {

namespace {

// MuPDF's resource store (fonts, decoded streams) stays small: we run each page once.
constexpr size_t kStoreBytes = 32u << 20;

bool g_allocation_failed = false;

// Plain malloc, but remembering that the address-space limit (RLIMIT_AS) was hit.
void* Alloc(void*, size_t n) {
  void* p = std::malloc(n);
  if (p == nullptr && n != 0) g_allocation_failed = true;
  return p;
}
void* Realloc(void*, void* old, size_t n) {
  void* p = std::realloc(old, n);
  if (p == nullptr && n != 0) g_allocation_failed = true;
  return p;
}
void Free(void*, void* p) { std::free(p); }

// MuPDF prints warnings and errors to stderr by default; the runner does not want them.
void Quiet(void*, const char*) {}

PdfError Caught(fz_context* ctx, const char* fallback_code) {
  bool memory = fz_caught(ctx) == FZ_ERROR_MEMORY || g_allocation_failed;
  std::string msg = fz_caught_message(ctx);
  if (msg.size() > 200) msg.resize(200);
  return {memory ? kPdfMemoryLimit : fallback_code,
          memory ? "the PDF needs more memory than allowed" : msg};
}

std::string Lower(const char* s) {
  std::string out = s ? s : "";
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool Contains(const std::string& s, std::initializer_list<const char*> needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](const char* n) { return s.find(n) != std::string::npos; });
}

struct FontStyle {
  bool bold = false;
  bool mono = false;
};

// Flags from the font file are often missing in subset Type 1 fonts, so names help:
// TeX's CMBX/CMB (bold), CMTT/CMSLTT (typewriter), NimbusRomNo9L-Medi (bold Times).
FontStyle StyleOf(fz_context* ctx, fz_font* font) {
  std::string name = Lower(fz_font_name(ctx, font));
  size_t plus = name.find('+');
  if (plus != std::string::npos) name.erase(0, plus + 1);
  FontStyle style;
  style.bold = fz_font_is_bold(ctx, font) ||
               Contains(name, {"bold", "black", "heavy", "demi", "-medi", "semibd", "cmbx"}) ||
               (name.rfind("cmb", 0) == 0 && name.size() > 3 && std::isdigit(name[3]));
  style.mono = fz_font_is_monospaced(ctx, font) ||
               Contains(name, {"mono", "courier", "cmtt", "cmsltt", "inconsolata", "consola",
                               "typewriter", "menlo"});
  return style;
}

void AppendUtf8(int c, std::string* out) {
  switch (c) {  // ligatures MuPDF did not already expand
    case 0xFB00:
      out->append("ff");
      return;
    case 0xFB01:
      out->append("fi");
      return;
    case 0xFB02:
      out->append("fl");
      return;
    case 0xFB03:
      out->append("ffi");
      return;
    case 0xFB04:
      out->append("ffl");
      return;
    case 0xFB05:
    case 0xFB06:
      out->append("st");
      return;
    default:
      break;
  }
  if (c < 0x20 || c == 0x7F) c = ' ';
  char buf[FZ_UTFMAX];
  int n = fz_runetochar(buf, c);
  out->append(buf, n);
}

TextLine ConvertLine(fz_context* ctx, const fz_stext_line* line) {
  TextLine out;
  out.bbox = {line->bbox.x0, line->bbox.y0, line->bbox.x1, line->bbox.y1};
  std::map<int, int> size_votes;  // size in half points → characters
  int chars = 0, bold = 0, mono = 0;
  fz_font* last_font = nullptr;
  FontStyle style;
  for (const fz_stext_char* ch = line->first_char; ch; ch = ch->next) {
    AppendUtf8(ch->c, &out.text);
    if (ch->c == ' ') continue;
    if (ch->font != last_font) {
      last_font = ch->font;
      style = StyleOf(ctx, ch->font);
    }
    ++chars;
    bold += style.bold;
    mono += style.mono;
    ++size_votes[static_cast<int>(ch->size * 2 + 0.5f)];
  }
  if (chars > 0) {
    auto best = std::max_element(size_votes.begin(), size_votes.end(),
                                 [](auto& a, auto& b) { return a.second < b.second; });
    out.size = best->first / 2.0f;
    out.bold = bold * 2 > chars;
    out.mono = mono * 2 > chars;
    int all = 0;
    for (const fz_stext_char* ch = line->first_char; ch; ch = ch->next) ++all;
    out.char_width = out.bbox.width() / static_cast<float>(all);
  }
  return out;
}

}  // namespace

struct MupdfDocument::Impl {
  fz_context* ctx = nullptr;
  fz_document* doc = nullptr;
  ~Impl() {
    if (doc) fz_drop_document(ctx, doc);
    if (ctx) fz_drop_context(ctx);
  }
};

MupdfDocument::MupdfDocument(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MupdfDocument::~MupdfDocument() = default;

bool MupdfDocument::AllocationFailed() { return g_allocation_failed; }

std::unique_ptr<MupdfDocument> MupdfDocument::Open(FILE* file, PdfError* error) {
  static const fz_alloc_context kAlloc = {nullptr, Alloc, Realloc, Free};
  auto impl = std::make_unique<Impl>();
  impl->ctx = fz_new_context(&kAlloc, nullptr, kStoreBytes);
  if (!impl->ctx) {
    *error = {kPdfMemoryLimit, "cannot create a MuPDF context"};
    return nullptr;
  }
  fz_context* ctx = impl->ctx;
  fz_set_warning_callback(ctx, Quiet, nullptr);
  fz_set_error_callback(ctx, Quiet, nullptr);
  pdf_document* volatile pdf = nullptr;  // volatile: assigned inside fz_try (setjmp)
  fz_stream* volatile stream = nullptr;
  fz_try(ctx) {
    stream = fz_open_file_ptr_no_close(ctx, file);
    pdf = pdf_open_document_with_stream(ctx, stream);
  }
  fz_always(ctx) { fz_drop_stream(ctx, stream); }  // the document keeps its own reference
  fz_catch(ctx) {
    *error = Caught(ctx, kPdfCorrupt);
    return nullptr;
  }
  impl->doc = &pdf->super;
  volatile int authenticated = 1;
  fz_try(ctx) {
    if (fz_needs_password(ctx, impl->doc))
      authenticated = fz_authenticate_password(ctx, impl->doc, "");
  }
  fz_catch(ctx) {
    *error = Caught(ctx, kPdfCorrupt);
    return nullptr;
  }
  if (!authenticated) {
    *error = {kPdfEncrypted, "the PDF is encrypted and needs a password"};
    return nullptr;
  }
  return std::unique_ptr<MupdfDocument>(new MupdfDocument(std::move(impl)));
}

int MupdfDocument::CountPages(PdfError* error) {
  fz_context* ctx = impl_->ctx;
  volatile int pages = -1;
  fz_try(ctx) { pages = fz_count_pages(ctx, impl_->doc); }
  fz_catch(ctx) {
    *error = Caught(ctx, kPdfCorrupt);
    return -1;
  }
  return pages;
}

bool MupdfDocument::WasRepaired() {
  return pdf_was_repaired(impl_->ctx, reinterpret_cast<pdf_document*>(impl_->doc));
}

PageLayout MupdfDocument::ExtractPage(int index, PdfError* error) {
  fz_context* ctx = impl_->ctx;
  PageLayout layout;
  layout.number = index + 1;
  fz_page* page = nullptr;
  fz_stext_page* text = nullptr;
  fz_rect bounds = fz_empty_rect;
  fz_var(page);
  fz_var(text);
  fz_try(ctx) {
    page = fz_load_page(ctx, impl_->doc, index);
    bounds = fz_bound_page(ctx, page);
    // No FZ_STEXT_PRESERVE_LIGATURES: MuPDF expands ligatures into their letters.
    fz_stext_options options = {};
    options.flags = FZ_STEXT_MEDIABOX_CLIP;
    text = fz_new_stext_page_from_page(ctx, page, &options);
  }
  fz_always(ctx) { fz_drop_page(ctx, page); }
  fz_catch(ctx) {
    *error = Caught(ctx, kPdfCorrupt);
    layout.failed = true;
    return layout;
  }
  layout.width = bounds.x1 - bounds.x0;
  layout.height = bounds.y1 - bounds.y0;
  for (fz_stext_block* b = text->first_block; b; b = b->next) {
    if (b->type != FZ_STEXT_BLOCK_TEXT) continue;
    TextBlock block;
    block.bbox = {b->bbox.x0, b->bbox.y0, b->bbox.x1, b->bbox.y1};
    for (fz_stext_line* l = b->u.t.first_line; l; l = l->next) {
      TextLine line = ConvertLine(ctx, l);
      if (line.size > 0) block.lines.push_back(std::move(line));
    }
    if (!block.lines.empty()) layout.blocks.push_back(std::move(block));
  }
  fz_drop_stext_page(ctx, text);
  return layout;
}

}  // namespace ingestd::pdf
