package org.maespark.data;

import java.io.Serializable;

/**
 * One listed input file and what its place in the tree says about it.
 *
 * @param path fully qualified URI, for reading
 * @param key path relative to the input root ('/'-separated), the row key
 * @param length size in bytes, from the listing
 * @param split split it belongs to (train, val, ...)
 * @param synset class folder / ground-truth synset, "" when unlabeled
 * @param reject non-null when the file is refused before decoding (not an image name, no label)
 */
record FileEntry(String path, String key, long length, String split, String synset, Reject reject)
    implements Serializable {}
