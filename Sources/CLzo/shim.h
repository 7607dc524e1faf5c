#include <lzo/lzo1x.h>
// lzo_init() and the work-memory size are macros Swift cannot import.
static inline int clzo_init(void) { return lzo_init(); }
static inline unsigned long clzo_1x_999_mem_compress(void) { return LZO1X_999_MEM_COMPRESS; }
