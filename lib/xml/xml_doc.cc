// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/xml_doc.h"

#include <climits>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <libxml/xmlversion.h>

#include <mutex>

#include "svirt/domain.h"

namespace svirt::internal {
namespace {

// Why a parse was stopped, plus the first libxml2 error. Reached from the SAX
// callbacks through ctxt->_private, which libxml2 never touches.
struct ParseState {
  bool saw_doctype = false;
  bool saw_entity = false;
  int stop_line = 0;
  bool has_error = false;
  int error_line = 0;
  std::string error_message;
};

ParseState* state_of(void* user_data) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(user_data);
  return static_cast<ParseState*>(ctxt->_private);
}

void stop_for_doctype(void* user_data) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(user_data);
  ParseState* st = state_of(user_data);
  st->saw_doctype = true;
  st->stop_line = xmlSAX2GetLineNumber(ctxt);
  xmlStopParser(ctxt);
}

void stop_for_entity(void* user_data) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(user_data);
  ParseState* st = state_of(user_data);
  st->saw_entity = true;
  st->stop_line = xmlSAX2GetLineNumber(ctxt);
  xmlStopParser(ctxt);
}

// Any DOCTYPE stops the parse before its internal subset is read, so no
// entity declaration (billion laughs, external SYSTEM entities) is ever seen
// by the parser, let alone expanded or fetched.
void on_internal_subset(void* user_data, const xmlChar*, const xmlChar*, const xmlChar*) {
  stop_for_doctype(user_data);
}
void on_external_subset(void* user_data, const xmlChar*, const xmlChar*, const xmlChar*) {
  stop_for_doctype(user_data);
}
void on_entity_decl(void* user_data, const xmlChar*, int, const xmlChar*, const xmlChar*,
                    xmlChar*) {
  stop_for_entity(user_data);
}
void on_unparsed_entity_decl(void* user_data, const xmlChar*, const xmlChar*, const xmlChar*,
                             const xmlChar*) {
  stop_for_entity(user_data);
}
void on_reference(void* user_data, const xmlChar*) { stop_for_entity(user_data); }
xmlEntityPtr on_get_entity(void* user_data, const xmlChar* name) {
  // Predefined entities (&lt; &amp; ...) are handled by the parser itself
  // before this is asked; anything else is refused.
  xmlEntityPtr predefined = xmlGetPredefinedEntity(name);
  if (predefined != nullptr) return predefined;
  stop_for_entity(user_data);
  return nullptr;
}
xmlEntityPtr on_get_parameter_entity(void* user_data, const xmlChar*) {
  stop_for_entity(user_data);
  return nullptr;
}
xmlParserInputPtr on_resolve_entity(void* user_data, const xmlChar*, const xmlChar*) {
  stop_for_entity(user_data);
  return nullptr;
}

void record_error(void* user_data, const xmlError* err) {
  if (err == nullptr || err->level < XML_ERR_ERROR) return;
  ParseState* st = state_of(user_data);
  if (st == nullptr || st->has_error) return;
  st->has_error = true;
  st->error_line = err->line;
  std::string msg = err->message != nullptr ? err->message : "unknown error";
  // libxml2 messages end in a newline and may carry more; keep one line.
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  for (char& c : msg) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  st->error_message = std::move(msg);
}

#if LIBXML_VERSION >= 21200
void on_structured_error(void* user_data, const xmlError* err) { record_error(user_data, err); }
#else
void on_structured_error(void* user_data, xmlErrorPtr err) { record_error(user_data, err); }
#endif

// Non-structured handlers are never used once serror is set, but keep them
// silent in case a code path reaches them.
void ignore_message(void*, const char*, ...) {}

struct CtxtDeleter {
  void operator()(xmlParserCtxtPtr c) const {
    if (c->myDoc != nullptr) {
      xmlFreeDoc(c->myDoc);
      c->myDoc = nullptr;
    }
    xmlFreeParserCtxt(c);
  }
};

bool has_entity_nodes(xmlNode* top) {
  // Iterative walk over elements; entity content is never descended into.
  xmlNode* cur = top->children;
  while (cur != nullptr) {
    if (cur->type == XML_ENTITY_REF_NODE || cur->type == XML_ENTITY_DECL ||
        cur->type == XML_ENTITY_NODE || cur->type == XML_DTD_NODE) {
      return true;
    }
    if (cur->type == XML_ELEMENT_NODE && cur->children != nullptr) {
      cur = cur->children;
      continue;
    }
    while (cur->next == nullptr) {
      cur = cur->parent;
      if (cur == nullptr || cur == top) return false;
    }
    cur = cur->next;
  }
  return false;
}

// libxml2 reports some errors (encoding conversion, I/O) through its generic
// handler, which prints to stderr by default; a library must not print.
// The handler is per thread, so a scoped swap is safe.
class GenericErrorsSilenced {
 public:
  GenericErrorsSilenced() : old_(xmlGenericError), old_ctx_(xmlGenericErrorContext) {
    xmlSetGenericErrorFunc(nullptr, ignore_message);
  }
  ~GenericErrorsSilenced() { xmlSetGenericErrorFunc(old_ctx_, old_); }
  GenericErrorsSilenced(const GenericErrorsSilenced&) = delete;
  GenericErrorsSilenced& operator=(const GenericErrorsSilenced&) = delete;

 private:
  xmlGenericErrorFunc old_;
  void* old_ctx_;
};

std::string prefix(std::string_view what, int line) {
  std::string p(what);
  if (line > 0) p += " line " + std::to_string(line);
  return p + ": ";
}

}  // namespace

Result<XmlDocPtr> parse_xml_document(std::string_view text, std::string_view what,
                                     std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    return make_error(ErrorCode::kInvalidInput,
                      std::string(what) + ": document is " + std::to_string(text.size()) +
                          " bytes, more than the limit of " + std::to_string(max_bytes));
  }
  if (text.size() > static_cast<std::size_t>(INT_MAX)) {
    return make_error(ErrorCode::kInvalidInput, std::string(what) + ": document too large");
  }
  if (text.empty()) {
    return make_error(ErrorCode::kInvalidInput, std::string(what) + ": document is empty");
  }
  static std::once_flag init_once;
  std::call_once(init_once, [] { xmlInitParser(); });
  GenericErrorsSilenced quiet;

  std::unique_ptr<xmlParserCtxt, CtxtDeleter> ctxt(
      xmlCreateMemoryParserCtxt(text.data(), static_cast<int>(text.size())));
  if (!ctxt) {
    return make_error(ErrorCode::kOperationFailed,
                      std::string(what) + ": cannot create an XML parser (out of memory)");
  }
  ParseState st;
  ctxt->_private = &st;
  xmlCtxtUseOptions(ctxt.get(), XML_PARSE_NONET | XML_PARSE_NOBLANKS);
  ctxt->replaceEntities = 0;
  ctxt->loadsubset = 0;
  ctxt->validate = 0;
  xmlSAXHandler* sax = ctxt->sax;
  sax->internalSubset = on_internal_subset;
  sax->externalSubset = on_external_subset;
  sax->entityDecl = on_entity_decl;
  sax->unparsedEntityDecl = on_unparsed_entity_decl;
  sax->reference = on_reference;
  sax->getEntity = on_get_entity;
  sax->getParameterEntity = on_get_parameter_entity;
  sax->resolveEntity = on_resolve_entity;
  sax->serror = on_structured_error;
  sax->error = ignore_message;
  sax->warning = ignore_message;
  sax->fatalError = ignore_message;
  ctxt->vctxt.error = ignore_message;
  ctxt->vctxt.warning = ignore_message;

  xmlParseDocument(ctxt.get());

  if (st.saw_doctype) {
    return make_error(ErrorCode::kInvalidInput,
                      prefix(what, st.stop_line) +
                          "DOCTYPE declarations are not allowed (no DTD or entity is processed)");
  }
  if (st.saw_entity) {
    return make_error(ErrorCode::kInvalidInput, prefix(what, st.stop_line) +
                                                    "entity declarations and references are not "
                                                    "allowed");
  }
  if (!ctxt->wellFormed || ctxt->myDoc == nullptr || st.has_error) {
    std::string msg = st.has_error ? st.error_message : "document is not well-formed";
    return make_error(ErrorCode::kInvalidInput, prefix(what, st.error_line) + msg);
  }
  XmlDocPtr doc(ctxt->myDoc);
  ctxt->myDoc = nullptr;
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
    return make_error(ErrorCode::kInvalidInput,
                      std::string(what) + ": DOCTYPE declarations are not allowed");
  }
  if (has_entity_nodes(reinterpret_cast<xmlNode*>(doc.get()))) {
    return make_error(ErrorCode::kInvalidInput,
                      std::string(what) + ": entity declarations and references are not allowed");
  }
  if (xmlDocGetRootElement(doc.get()) == nullptr) {
    return make_error(ErrorCode::kInvalidInput, std::string(what) + ": no root element");
  }
  return doc;
}

namespace {

// libxml2's save callbacks append straight into a std::string, which grows
// geometrically. xmlBuffer grows by exact fit, so formatting a document of a
// few MiB through it costs a quadratic amount of copying.
int append_to_string(void* context, const char* data, int len) {
  static_cast<std::string*>(context)->append(data, static_cast<std::size_t>(len));
  return len;
}

int close_nothing(void*) { return 0; }

}  // namespace

std::string serialize_xml_document(xmlDoc* doc) {
  GenericErrorsSilenced quiet;
  std::string out;
  xmlSaveCtxtPtr save = xmlSaveToIO(append_to_string, close_nothing, &out, "UTF-8",
                                    XML_SAVE_FORMAT | XML_SAVE_NO_DECL);
  if (save == nullptr) return std::string();
  xmlSaveDoc(save, doc);
  if (xmlSaveClose(save) < 0) return std::string();
  return out;
}

}  // namespace svirt::internal
