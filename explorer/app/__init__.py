"""The only code that imports streamlit, one concern a module: catalog (which models a page can show),
caches, urlstate, pickers, textbox, draw, frame (the page list), course (the lessons), fanout, and each
busy page's view helpers (inspect_view, generate_view, train_live, train_charts)."""
