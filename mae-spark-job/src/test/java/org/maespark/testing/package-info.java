/** Test helpers shared by this module's tests: the Spark session, tiny datasets and models. */
package org.maespark.testing;
