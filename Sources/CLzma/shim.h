#include <lzma.h>
// Filter IDs are LZMA_VLI_C() cast macros, which Swift cannot import.
static inline lzma_vli clzma_filter_x86(void) { return LZMA_FILTER_X86; }
static inline lzma_vli clzma_filter_lzma2(void) { return LZMA_FILTER_LZMA2; }
static inline lzma_vli clzma_vli_unknown(void) { return LZMA_VLI_UNKNOWN; }
