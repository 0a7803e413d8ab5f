"""Documents Pantau writes from the store for print and for the record: evidence packs and
monthly reports. They read the store through the same queries as the pages (so a figure in a
document equals the page's) and never import Streamlit; the pages and the CLI offer them."""
