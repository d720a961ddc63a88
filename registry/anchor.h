/* Nodes' audit heads anchored in the registry's log: each anchor is a leaf
 * (kind WIRE_LEAF_ANCHOR over the signed AnchorBody), so a node's audit
 * log cannot later lose records before an anchored head unnoticed, and the
 * node's privacy officer can compare against the registry's copy. */
#ifndef SK_REG_ANCHOR_H
#define SK_REG_ANCHOR_H

#include "registry/op.h"

#define REG_ANCHORS_MAX 1024 /* per reply */

/* AnchorRequest: a writer job (the leaf, the anchor and its audit record).
 * AnchorsRequest: answered at once with the org's own anchors after a
 * seq, oldest first. */
extern const reg_op reg_op_anchor;
extern const reg_op reg_op_anchors;

#endif
