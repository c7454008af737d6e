"""Playing a model: MIDI → controls, rendering through the C++ core."""
