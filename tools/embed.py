#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""Turn a binary file into a C array: embed.py INPUT OUTPUT SYMBOL."""
import sys

data = open(sys.argv[1], 'rb').read()
sym = sys.argv[3]
with open(sys.argv[2], 'w') as f:
    f.write('/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */\n')
    f.write('/* generated from %s */\n#include <stddef.h>\n' % sys.argv[1].split('/')[-1])
    f.write('const unsigned char %s[] = {\n' % sym)
    for i in range(0, len(data), 12):
        f.write('\t' + ', '.join('0x%02x' % b for b in data[i:i + 12]) + ',\n')
    f.write('};\nconst size_t %s_size = %d;\n' % (sym, len(data)))
