//! The rendered control panel.
