// The demo catalogue's data and the deterministic generator that turns it
// into products. Hand-written names and descriptions keep full-text search
// and prefix suggestions meaningful; a fixed-seed SplitMix64 (not std::
// distributions, whose output differs between standard libraries) picks the
// free attributes, closing sentences and stock levels.
#include "tools/agora-node/demo_catalogue.hpp"

#include <cstdio>

#include <boost/json.hpp>

namespace agora::demo {

namespace {

// -- source data --------------------------------------------------------------

/// One hand-written product.
struct entry {
  const char* name;
  /// Brand, or the author for books.
  const char* maker;
  int64_t price_cents;
  const char* description;
  /// Value of the category's extra attribute; nullptr = pick one at random
  /// from the category's list.
  const char* extra = nullptr;
};

/// One category and its products.
struct category {
  const char* name;
  /// SKU prefix, e.g. "EL" gives EL-0001.
  const char* sku_prefix;
  /// Attribute key for entry::maker ("brand", or "author" for books).
  const char* maker_key;
  /// Key of the extra attribute ("color", "format", "size", ...).
  const char* extra_key;
  /// Values for entries without their own extra value.
  std::vector<const char*> extra_values;
  /// One of these ends every description.
  std::vector<const char*> closings;
  std::vector<entry> entries;
};

const std::vector<category>& categories() {
  static const std::vector<category> data = {
    {"Electronics", "EL", "brand", "color",
     {"Black", "Silver", "Space Gray", "White", "Blue", "Graphite"},
     {"Backed by a one-year limited warranty.", "Free returns within 30 days.",
      "Ships in recyclable packaging."},
     {
       {"iPhone 15 Pro", "Apple", 99900,
        "6.1-inch Super Retina XDR display, A17 Pro chip, titanium frame and a 48 MP main "
        "camera."},
       {"iPhone 15", "Apple", 79900,
        "6.1-inch display with Dynamic Island, USB-C and an all-day battery."},
       {"Galaxy S24 Ultra", "Samsung", 129999,
        "6.8-inch QHD+ display, built-in S Pen and a 200 MP camera with 5x optical zoom."},
       {"Pixel 8 Pro", "Google", 99900,
        "Tensor G3 chip, 6.7-inch Super Actua display and seven years of OS updates."},
       {"MacBook Air 13\" M3", "Apple", 109900,
        "Fanless laptop with the M3 chip, 8 GB unified memory, 256 GB SSD and up to 18 hours "
        "of battery life."},
       {"ThinkPad X1 Carbon Gen 11", "Lenovo", 143900,
        "14-inch business ultrabook with an Intel Core i7, 16 GB RAM and a legendary "
        "keyboard."},
       {"XPS 15 Laptop", "Dell", 149999,
        "15.6-inch OLED touch display, Core i7 processor, 32 GB RAM and a 1 TB SSD."},
       {"AirPods Pro (2nd generation)", "Apple", 24900,
        "Active noise cancellation, adaptive transparency and a USB-C MagSafe charging case.",
        "White"},
       {"WH-1000XM5 Wireless Headphones", "Sony", 39999,
        "Industry-leading noise cancelling over-ear headphones with 30 hours of battery "
        "life."},
       {"QuietComfort Earbuds II", "Bose", 27900,
        "Noise cancelling earbuds that tune their sound to the shape of your ear."},
       {"iPad Air 11\"", "Apple", 59900,
        "Liquid Retina display, M2 chip and support for Apple Pencil Pro."},
       {"Kindle Paperwhite", "Amazon", 14999,
        "6.8-inch glare-free e-reader with adjustable warm light and weeks of battery."},
       {"Apple Watch Series 9", "Apple", 39900,
        "Always-on Retina display, blood oxygen sensor and the double-tap gesture."},
       {"Fitbit Charge 6 Fitness Tracker", "Google", 15995,
        "Heart rate and sleep tracking, built-in GPS and YouTube Music controls."},
       {"Echo Dot (5th Gen) Smart Speaker", "Amazon", 4999,
        "Compact smart speaker with Alexa, richer sound and a temperature sensor."},
       {"Nest Learning Thermostat", "Google", 27999,
        "Learns your schedule and programs itself to save energy."},
       {"PlayStation 5 Console", "Sony", 49999,
        "Ultra-high-speed SSD, ray tracing and the DualSense wireless controller.", "White"},
       {"Nintendo Switch OLED", "Nintendo", 34999,
        "Handheld and TV console with a 7-inch OLED screen and a wide adjustable stand."},
       {"Xbox Series X", "Microsoft", 49999,
        "12 teraflops of power, a 1 TB SSD and 4K gaming at up to 120 frames per second.",
        "Black"},
       {"55\" 4K OLED Smart TV", "LG", 129999,
        "Self-lit pixels, Dolby Vision and a 120 Hz panel for gaming.", "Black"},
       {"Flip 6 Portable Bluetooth Speaker", "JBL", 12995,
        "Waterproof and dustproof speaker with 12 hours of playtime."},
       {"65W USB-C Charger", "Anker", 4599,
        "Compact GaN wall charger that powers a laptop, a tablet and a phone at once."},
       {"K8 Pro Mechanical Keyboard", "Keychron", 10900,
        "Hot-swappable wireless mechanical keyboard for Mac and Windows."},
       {"MX Master 3S Wireless Mouse", "Logitech", 9999,
        "Quiet clicks, 8K DPI tracking even on glass and an electromagnetic scroll wheel."},
       {"Wi-Fi 6 Mesh Router System", "TP-Link", 19999,
        "Whole-home coverage of up to 5,500 square feet with three units."},
       {"HERO12 Black Action Camera", "GoPro", 39999,
        "5.3K video, HyperSmooth stabilization and waterproof to 33 feet.", "Black"},
       {"T7 Portable SSD 1TB", "Samsung", 11999,
        "Pocket-sized solid state drive with read speeds of up to 1,050 MB/s."},
     }},
    {"Books", "BK", "author", "format", {"Hardcover", "Paperback"},
     {"Printed on acid-free paper.", "A favourite of book clubs.",
      "Ships in recyclable packaging."},
     {
       {"The Pragmatic Programmer", "David Thomas and Andrew Hunt", 4999,
        "Your journey to mastery: timeless advice on writing flexible, maintainable code."},
       {"Clean Code", "Robert C. Martin", 3999,
        "A handbook of agile software craftsmanship, full of real code being cleaned up."},
       {"Designing Data-Intensive Applications", "Martin Kleppmann", 5599,
        "The big ideas behind reliable, scalable and maintainable data systems."},
       {"Effective Modern C++", "Scott Meyers", 4499,
        "42 specific ways to improve your use of C++11 and C++14."},
       {"A Tour of C++", "Bjarne Stroustrup", 3999,
        "A compact overview of modern C++ by the creator of the language."},
       {"Dune", "Frank Herbert", 1899,
        "The epic science fiction saga of Paul Atreides on the desert planet Arrakis."},
       {"Project Hail Mary", "Andy Weir", 1799,
        "A lone astronaut must save the Earth from disaster in this gripping space thriller."},
       {"The Hobbit", "J.R.R. Tolkien", 1499,
        "Bilbo Baggins is swept into a quest to reclaim a dragon's treasure."},
       {"Pride and Prejudice", "Jane Austen", 999,
        "Elizabeth Bennet and Mr. Darcy in the beloved comedy of manners.", "Paperback"},
       {"Sapiens: A Brief History of Humankind", "Yuval Noah Harari", 2499,
        "How Homo sapiens came to dominate the planet, from the Stone Age to today."},
       {"Atomic Habits", "James Clear", 2700,
        "An easy and proven way to build good habits and break bad ones.", "Hardcover"},
       {"Thinking, Fast and Slow", "Daniel Kahneman", 2000,
        "The two systems that drive the way we think and make choices."},
       {"The Midnight Library", "Matt Haig", 1699,
        "Between life and death there is a library with a book for every life you could "
        "have lived."},
       {"Where the Crawdads Sing", "Delia Owens", 1899,
        "A coming-of-age mystery set in the marshes of North Carolina."},
       {"The Silent Patient", "Alex Michaelides", 1799,
        "A psychological thriller about a woman who stops speaking after a shocking crime."},
       {"Educated: A Memoir", "Tara Westover", 1899,
        "A woman raised by survivalists leaves home and earns a PhD from Cambridge."},
       {"The Very Hungry Caterpillar", "Eric Carle", 899,
        "The classic picture book about a caterpillar eating its way to becoming a "
        "butterfly.",
        "Board Book"},
       {"Harry Potter and the Sorcerer's Stone", "J.K. Rowling", 1099,
        "An orphaned boy discovers he is a wizard and begins his first year at Hogwarts."},
       {"Salt, Fat, Acid, Heat", "Samin Nosrat", 3500,
        "Mastering the four elements of good cooking, with illustrated lessons and recipes.",
        "Hardcover"},
       {"The Joy of Cooking", "Irma S. Rombauer", 4000,
        "America's classic kitchen reference with over 4,000 recipes.", "Hardcover"},
       {"Nineteen Eighty-Four", "George Orwell", 1099,
        "The dystopian classic of surveillance, truth and totalitarian power.", "Paperback"},
       {"To Kill a Mockingbird", "Harper Lee", 1299,
        "A story of racial injustice and childhood innocence in 1930s Alabama."},
       {"The Lean Startup", "Eric Ries", 2800,
        "How constant innovation creates radically successful businesses."},
       {"Introduction to Algorithms", "Thomas H. Cormen", 9999,
        "The standard textbook on algorithms and data structures, fourth edition.",
        "Hardcover"},
       {"Cosmos", "Carl Sagan", 1999, "A journey through the universe and the history of science."},
       {"The Art of Computer Programming, Volume 1", "Donald E. Knuth", 7999,
        "Fundamental algorithms, from the classic multi-volume work.", "Hardcover"},
     }},
    {"Home & Kitchen", "HK", "brand", "color",
     {"Stainless Steel", "Black", "White", "Red", "Graphite", "Sage Green"},
     {"Free returns within 30 days.", "Backed by a two-year warranty.",
      "Ships in recyclable packaging."},
     {
       {"Stainless Steel Chef Knife 8\"", "Victorinox", 5499,
        "Razor-sharp high-carbon stainless blade with a non-slip ergonomic handle.",
        "Stainless Steel"},
       {"Cast Iron Skillet 12\"", "Lodge", 3499,
        "Pre-seasoned skillet for searing, baking and campfire cooking.", "Black"},
       {"Non-Stick Frying Pan Set", "T-fal", 4999,
        "Three titanium non-stick pans with a heat indicator and riveted handles."},
       {"Enameled Cast Iron Dutch Oven 5.5 qt", "Le Creuset", 41999,
        "Colorful enameled cast iron for braises, stews and crusty bread."},
       {"Duo 7-in-1 Electric Pressure Cooker", "Instant Pot", 8999,
        "Pressure cooker, slow cooker, rice cooker, steamer, saute pan, yogurt maker and "
        "warmer in one."},
       {"Air Fryer 6 Quart", "Ninja", 12999,
        "Crisps with up to 75% less fat than deep frying; the basket is dishwasher safe."},
       {"Barista Express Espresso Machine", "Breville", 69995,
        "Grind, dose and extract in under a minute with the integrated conical burr grinder.",
        "Stainless Steel"},
       {"Pour-Over Glass Coffee Maker", "Chemex", 4795,
        "Classic glass carafe that brews clean, bright coffee."},
       {"Stagg EKG Electric Gooseneck Kettle", "Fellow", 16500,
        "Precise temperature control for pour-over coffee and tea, with a brew timer."},
       {"Professional High-Speed Blender", "Vitamix", 34995,
        "Professional-grade blender for smoothies, soups and nut butters."},
       {"Artisan Stand Mixer 5 Quart", "KitchenAid", 44999,
        "Tilt-head mixer with ten speeds and a stainless steel bowl."},
       {"Bamboo Cutting Board Set", "Totally Bamboo", 3299,
        "Three reversible boards that are gentle on knife edges."},
       {"Glass Food Storage Containers (18 pieces)", "Pyrex", 3999,
        "Oven, microwave, freezer and dishwasher safe, with snap-tight lids."},
       {"Roomba j7+ Robot Vacuum", "iRobot", 59999,
        "Self-emptying robot vacuum that recognizes and avoids cords and pet waste."},
       {"V15 Detect Cordless Stick Vacuum", "Dyson", 74999,
        "A laser reveals microscopic dust while a sensor counts the particles."},
       {"Memory Foam Pillow", "Tempur-Pedic", 8900,
        "Adaptive pillow that supports the head and neck all night.", "White"},
       {"Cotton Sateen Sheet Set, Queen", "Brooklinen", 16900,
        "Long-staple cotton sateen sheets, smooth and breathable."},
       {"Weighted Blanket 15 lb", "Gravity", 19500,
        "Evenly distributed glass beads for calmer, deeper sleep."},
       {"Sea Salt & Orchid Soy Candle", "Paddywax", 2400,
        "Hand-poured soy wax candle with a cotton wick and 50 hours of burn time.", "White"},
       {"Stoneware Dinnerware Set, 12 Piece", "Stone Lain", 6999,
        "Service for four in a speckled stoneware glaze."},
       {"Red Wine Glasses, Set of 4", "Riedel", 5900,
        "Lead-free crystal glasses shaped for full-bodied red wine.", "Clear"},
       {"Digital Kitchen Scale", "Escali", 2499,
        "Weighs up to 11 lb in grams or ounces, with a tare button."},
       {"Knife Block Set, 15 Piece", "Henckels", 14999,
        "German stainless steel knives with a hardwood block and a sharpener.",
        "Stainless Steel"},
       {"Retro 2-Slice Toaster", "Smeg", 17995,
        "Retro-style toaster with six browning levels and a defrost setting."},
       {"True HEPA Air Purifier", "Coway", 22999,
        "Filters rooms of up to 361 square feet, with an air quality indicator.", "White"},
       {"Induction Rice Cooker 5.5 Cup", "Zojirushi", 21900,
        "Fuzzy logic rice cooker that adjusts temperature and time for perfect rice."},
     }},
    {"Sports", "SP", "brand", "color", {"Black", "Navy", "Red", "Gray", "Orange", "Teal"},
     {"Free returns within 30 days.", "Tested by our team of athletes.",
      "Ships in recyclable packaging."},
     {
       {"PRO Yoga Mat 6mm", "Manduka", 7900,
        "Dense cushioning and a grippy surface for a stable practice."},
       {"SelectTech 552 Adjustable Dumbbells", "Bowflex", 42900,
        "Replace 15 sets of weights, from 5 to 52.5 lb, with a turn of a dial.", "Black"},
       {"Cast Iron Kettlebell 35 lb", "Rogue", 6950,
        "Single-piece cast iron kettlebell with a smooth handle.", "Black"},
       {"Resistance Loop Bands Set", "Fit Simplify", 1299,
        "Five loop bands from extra light to extra heavy."},
       {"Pegasus 40 Running Shoes", "Nike", 13000,
        "Responsive cushioning for everyday road running."},
       {"Speedgoat 5 Trail Running Shoes", "Hoka", 15500,
        "Lightweight cushioning and Vibram grip for technical trails."},
       {"Insulated Water Bottle 32 oz", "Hydro Flask", 4495,
        "Keeps drinks cold for 24 hours and hot for 12."},
       {"Road Bike Helmet with MIPS", "Giro", 12000,
        "MIPS-equipped helmet with 22 vents for long summer rides."},
       {"Pro Staff 97 Tennis Racket", "Wilson", 24900,
        "The classic control racket in a braided graphite frame.", "Black"},
       {"Official Size 7 Basketball", "Spalding", 3499,
        "Composite leather ball for indoor and outdoor courts.", "Orange"},
       {"Size 5 Soccer Match Ball", "Adidas", 2999,
        "Machine-stitched match ball with a butyl bladder.", "White"},
       {"4-Person Dome Camping Tent", "Coleman", 14999,
        "Weatherproof dome tent that sets up in about ten minutes."},
       {"20 Degree Synthetic Sleeping Bag", "REI Co-op", 11995,
        "Synthetic insulation that stays warm even when damp."},
       {"Atmos 40L Hiking Backpack", "Osprey", 18000,
        "Ventilated back panel, hip-belt pockets and a rain cover."},
       {"Carbon Trekking Poles", "Black Diamond", 17995,
        "Ultralight carbon poles with cork grips and quick locks."},
       {"Speed Jump Rope", "Rogue", 2500,
        "Ball-bearing handles and an adjustable steel cable."},
       {"High-Density Foam Roller", "TriggerPoint", 3499,
        "Massages tight muscles before and after workouts."},
       {"Pro V1 Golf Balls (12 pack)", "Titleist", 5499,
        "Tour-level distance and spin with a soft feel.", "White"},
       {"Anti-Fog Swim Goggles", "Speedo", 2199,
        "Wide vision, UV protection and a comfortable seal."},
       {"Gel Padded Cycling Gloves", "Pearl Izumi", 3500,
        "Padded palms that reduce hand fatigue on long rides."},
       {"Forerunner 265 GPS Running Watch", "Garmin", 44999,
        "AMOLED running watch with training readiness and multi-band GPS."},
       {"Momentum Climbing Harness", "Black Diamond", 6995,
        "Comfortable all-round harness for the gym and the crag."},
       {"Doorway Pull-Up Bar", "Iron Gym", 3299,
        "Fits most doorways without screws, for pull-ups and chin-ups.", "Black"},
       {"Pro Style Boxing Gloves 14 oz", "Everlast", 5999,
        "Training gloves with layered foam and a hook-and-loop closure."},
       {"Explorer 2-Person Inflatable Kayak", "Intex", 17999,
        "Includes aluminum oars and a high-output air pump."},
       {"Complete Skateboard 8\"", "Element", 8999,
        "Seven-ply maple deck with 52 mm wheels, ready to ride."},
     }},
    {"Toys", "TY", "brand", "age", {"3+", "5+", "8+"},
     {"Meets all US toy safety standards.", "A favourite gift for birthdays.",
      "Gift wrapping available."},
     {
       {"LEGO Star Wars Millennium Falcon", "LEGO", 16999,
        "1,353-piece buildable starship with minifigures of Han Solo, Chewbacca and Rey.",
        "9+"},
       {"LEGO Classic Creative Brick Box", "LEGO", 5999,
        "790 bricks in 33 colors for open-ended building.", "4+"},
       {"Barbie Dreamhouse", "Mattel", 17999,
        "Three-story dollhouse with a pool, a slide and an elevator.", "3+"},
       {"Hot Wheels Ultimate Garage", "Mattel", 12999,
        "Multi-level garage with a motorized elevator and a gorilla to escape.", "5+"},
       {"Monopoly Classic Board Game", "Hasbro", 1999,
        "Buy, sell and trade properties to become the richest player.", "8+"},
       {"Catan Board Game", "Catan Studio", 4999,
        "Trade, build and settle the island of Catan in this strategy classic.", "10+"},
       {"Ticket to Ride Board Game", "Days of Wonder", 5499,
        "Collect train cards and claim railway routes across North America.", "8+"},
       {"Rubik's Cube 3x3", "Rubik's", 1099,
        "The original color-matching puzzle, now with smoother turning.", "8+"},
       {"Magnetic Building Tiles, 100 Piece", "Magna-Tiles", 11999,
        "Magnetic tiles for building 3D shapes and structures.", "3+"},
       {"Plush Teddy Bear 16\"", "Jellycat", 4500,
        "Super-soft bear with a friendly face and floppy limbs.", "0+"},
       {"Off-Road Remote Control Monster Truck", "Traxxas", 32999,
        "4WD monster truck that reaches 30 mph, with a waterproof chassis.", "14+"},
       {"Nerf Elite 2.0 Blaster", "Nerf", 2999,
        "Motorized blaster with a 10-dart clip and tactical rails.", "8+"},
       {"Play-Doh Kitchen Creations Pizza Oven", "Play-Doh", 1999,
        "Pretend pizza oven with six cans of modeling compound.", "3+"},
       {"Wooden Farm Animal Puzzle", "Melissa & Doug", 1499,
        "Chunky farm-animal puzzle with easy-grasp pieces.", "2+"},
       {"Inspiration Art Case", "Crayola", 2499,
        "140 crayons, markers and colored pencils in a carry case.", "5+"},
       {"Snap Circuits Jr. Electronics Kit", "Elenco", 3999,
        "Build over 100 working electronic projects without soldering.", "8+"},
       {"Kids Drone with Camera", "Holy Stone", 6999,
        "Easy-to-fly quadcopter with altitude hold and one-key landing.", "12+"},
       {"Wooden Railway Train Set, 100 Piece", "Brio", 14999,
        "Tracks, bridges and trains that fit other wooden railway sets.", "3+"},
       {"UNO Card Game", "Mattel", 799,
        "The classic family card game of matching colors and numbers.", "7+"},
       {"Jenga Classic", "Hasbro", 1499, "Stack, pull and do not let the tower fall.", "6+"},
       {"70mm Refractor Telescope for Kids", "Celestron", 8999,
        "Refractor telescope with two eyepieces for the Moon and the planets.", "8+"},
       {"Maxi Kick Scooter", "Micro Kickboard", 16999,
        "Three-wheeled lean-to-steer scooter for growing kids.", "5+"},
       {"Doll Stroller", "Baby Alive", 2499, "Foldable stroller for dolls up to 18 inches.",
        "3+"},
       {"Dinosaur Figure Set, 12 Piece", "Schleich", 4999,
        "Hand-painted, realistic dinosaur figures.", "4+"},
       {"Marble Run Starter Set", "GraviTrax", 5999,
        "Build tracks with magnetic, gravity and kinetic elements.", "8+"},
     }},
    {"Clothing", "CL", "brand", "size", {"XS", "S", "M", "L", "XL"},
     {"Machine washable.", "Free exchanges on sizes.", "Ships in recyclable packaging."},
     {
       {"Men's Classic Fit Oxford Shirt", "Brooks Brothers", 9850,
        "Button-down collar shirt in breathable cotton oxford cloth."},
       {"Women's High-Rise Skinny Jeans", "Levi's", 7950,
        "Stretch denim that holds its shape all day."},
       {"501 Original Fit Jeans", "Levi's", 6950, "The original button-fly jean since 1873."},
       {"Reverse Weave Fleece Hoodie", "Champion", 5000,
        "Heavyweight fleece hoodie that resists shrinking."},
       {"700-Fill Down Puffer Jacket", "The North Face", 28000,
        "Goose down jacket that packs into its own pocket."},
       {"Torrentshell Waterproof Rain Jacket", "Patagonia", 17900,
        "Two-layer H2No shell that keeps you dry in a downpour."},
       {"Extra Fine Merino Crew Neck Sweater", "Uniqlo", 4990,
        "Fine merino wool that is warm, light and washable."},
       {"Cotton Crew Neck T-Shirts, 3 Pack", "Hanes", 1800,
        "Soft, tagless tees for everyday wear."},
       {"Women's Wrap Midi Dress", "Reformation", 24800,
        "Flowing viscose dress with a flattering tie waist."},
       {"Slim Fit Stretch Chino Pants", "J.Crew", 7950,
        "Garment-dyed stretch chinos for work or the weekend."},
       {"Reversible Leather Belt", "Columbia", 3000,
        "Black-to-brown reversible belt with a rotating buckle."},
       {"Rib-Knit Wool Beanie", "Carhartt", 2199,
        "Rib-knit watch cap with the classic front patch."},
       {"Pace Breaker Athletic Shorts 7\"", "Lululemon", 6800,
        "Lightweight, quick-drying shorts with a liner."},
       {"Align High-Rise Leggings 25\"", "Lululemon", 9800,
        "Buttery-soft leggings for yoga and lounging."},
       {"Chuck Taylor All Star High Top Sneakers", "Converse", 6500,
        "The canvas high-top that never goes out of style."},
       {"Air Force 1 '07 Sneakers", "Nike", 11500,
        "Crisp leather low-tops with Air cushioning."},
       {"Wool Blend Double-Breasted Peacoat", "Calvin Klein", 22000,
        "Double-breasted coat with a notched collar."},
       {"Scotch Plaid Flannel Shirt", "L.L.Bean", 5995,
        "Brushed cotton flannel that gets softer with each wash."},
       {"Floral Silk Square Scarf", "Echo", 4800,
        "Lightweight square scarf in a hand-drawn floral print.", "One Size"},
       {"Cushioned Ankle Socks, 6 Pack", "Bombas", 7200,
        "Arch support, a seamless toe and a blister tab."},
       {"Original Leather Chelsea Boots", "Blundstone", 22995,
        "Water-resistant leather boots with elastic sides."},
       {"Classic Fit Pique Polo Shirt", "Ralph Lauren", 9850,
        "Cotton mesh polo with the signature embroidered pony."},
       {"Turtle Print Swim Trunks 6\"", "Vilebrequin", 29000,
        "Quick-dry swim trunks in a playful turtle print."},
       {"9FORTY Adjustable Baseball Cap", "New Era", 3500,
        "Six-panel cotton cap with a curved visor.", "One Size"},
       {"Gisele Cotton Pajama Set", "Eberjey", 9800,
        "Soft jersey top and pants for sleeping and lounging."},
     }},
    {"Beauty", "BT", "brand", "size", {"1 unit"},
     {"Dermatologist tested.", "Not tested on animals.", "Free returns within 30 days."},
     {
       {"Hydrating Facial Cleanser", "CeraVe", 1599,
        "Gentle non-foaming cleanser with ceramides and hyaluronic acid.", "16 fl oz"},
       {"Daily Moisturizing Lotion", "CeraVe", 1699,
        "Lightweight, oil-free lotion that restores the skin barrier.", "12 fl oz"},
       {"C-Firma Fresh Vitamin C Day Serum", "Drunk Elephant", 8000,
        "Day serum with 15% L-ascorbic acid for brighter skin.", "1 fl oz"},
       {"Regenerist Retinol 24 Night Moisturizer", "Olay", 3899,
        "Retinol night cream for smoother skin by morning.", "1.7 oz"},
       {"Anthelios Tinted Mineral Sunscreen SPF 50", "La Roche-Posay", 3699,
        "Tinted mineral sunscreen for sensitive skin.", "1.7 fl oz"},
       {"Niacinamide 10% + Zinc 1% Serum", "The Ordinary", 600,
        "Serum that targets blemishes and visible pore size.", "1 fl oz"},
       {"Hyaluronic Acid 2% + B5 Serum", "The Ordinary", 890,
        "Hydration support with several molecular weights of hyaluronic acid.", "1 fl oz"},
       {"Berry Lip Sleeping Mask", "Laneige", 2400,
        "Leave-on overnight lip mask with vitamin C.", "0.7 oz"},
       {"Lash Sensational Mascara", "Maybelline", 1199,
        "Fanning brush for full, layered lashes.", "0.32 fl oz"},
       {"Stunna Lip Paint Liquid Lipstick", "Fenty Beauty", 2600,
        "Long-wearing, weightless color in a soft matte finish.", "0.13 fl oz"},
       {"Pro Filt'r Soft Matte Foundation", "Fenty Beauty", 4000,
        "Oil-free, long-wear foundation in 50 shades.", "1.08 fl oz"},
       {"Naked3 Eyeshadow Palette", "Urban Decay", 5400,
        "Twelve rose-hued neutral eyeshadow shades.", "12 x 0.05 oz"},
       {"Supersonic Hair Dryer", "Dyson", 42999,
        "Fast drying with intelligent heat control that protects shine."},
       {"Platinum+ Hair Straightener 1\"", "ghd", 24900,
        "Styler that holds an optimum 365 F for healthier-looking hair."},
       {"Moroccanoil Argan Oil Treatment", "Moroccanoil", 4800,
        "Argan oil that conditions hair and speeds up drying.", "3.4 fl oz"},
       {"No.4 Bond Maintenance Shampoo", "Olaplex", 3000,
        "Repairs and strengthens all hair types.", "8.5 fl oz"},
       {"Sonicare 4100 Electric Toothbrush", "Philips", 4996,
        "Sonic toothbrush with a pressure sensor and a two-minute timer."},
       {"Series 9 Electric Foil Shaver", "Braun", 29999,
        "Wet and dry foil shaver with a cleaning station."},
       {"Coco Mademoiselle Eau de Parfum", "Chanel", 16500,
        "Fresh oriental fragrance with orange, rose and patchouli.", "3.4 fl oz"},
       {"Deep Moisture Shea Butter Body Wash", "Dove", 899,
        "Nourishing body wash for soft, smooth skin.", "22 fl oz"},
       {"Hydrating Sheet Mask Variety Pack", "Tony Moly", 1800,
        "Ten hydrating sheet masks with different botanicals.", "10 masks"},
       {"Gel Couture Long-Wear Nail Polish", "Essie", 1150,
        "Gel-like shine without a UV lamp.", "0.46 fl oz"},
       {"Everyday Essentials Makeup Brush Set", "Real Techniques", 3499,
        "Synthetic brushes for foundation, powder and eyes.", "12 brushes"},
       {"Sandalwood Beard Oil", "Beardbrand", 2999,
        "Softens the beard and soothes the skin beneath.", "1 fl oz"},
       {"Original Dry Shampoo", "Batiste", 899, "Refreshes hair between washes.", "6.73 oz"},
     }},
    {"Garden", "GD", "brand", "color", {"Green", "Black", "Gray", "Terracotta", "Sand"},
     {"Built to last outdoors.", "Free returns within 30 days.", "Backed by a two-year warranty."},
     {
       {"Self-Propelled Cordless Lawn Mower 21\"", "EGO", 54900,
        "56-volt brushless mower with a self-propelled drive."},
       {"40V Cordless String Trimmer", "Greenworks", 12999,
        "Cordless trimmer and edger with a 13-inch cutting swath."},
       {"20V MAX Cordless Leaf Blower", "DeWalt", 17900,
        "Brushless blower that moves 409 cubic feet of air per minute.", "Yellow"},
       {"Expandable Garden Hose 50 ft", "Flexi Hose", 3999,
        "Lightweight hose that expands to three times its length."},
       {"8-Pattern Metal Hose Nozzle", "Melnor", 1499,
        "Metal spray nozzle with thumb-controlled flow."},
       {"Classic Bypass Pruning Shears", "Felco", 5950,
        "Swiss-made secateurs with replaceable blades.", "Red"},
       {"Galvanized Raised Garden Bed", "Vego Garden", 13900,
        "Modular metal bed for vegetables and flowers."},
       {"Organic Potting Mix 2 cu ft", "Miracle-Gro", 1497,
        "Feeds container plants for up to six months."},
       {"Heirloom Tomato Seeds Variety Pack", "Burpee", 1299,
        "Ten heirloom varieties including Brandywine and Cherokee Purple."},
       {"Squirrel-Proof Bird Feeder", "Squirrel Buster", 6999,
        "Weight-activated perches close the feeding ports to squirrels."},
       {"Solar Path Lights, 8 Pack", "Brightech", 3999,
        "Warm white LED stakes that charge by day."},
       {"9 ft Tilting Patio Umbrella", "Abba Patio", 6999,
        "Tilting market umbrella with a crank lift."},
       {"Outdoor Dining Set, 5 Piece", "Polywood", 139900,
        "Weatherproof recycled-plastic table with four chairs."},
       {"Spirit 3-Burner Propane Gas Grill", "Weber", 64900,
        "Gas grill with porcelain-enameled cast iron grates."},
       {"Original Kettle Charcoal Grill 22\"", "Weber", 21900,
        "The classic kettle grill with a one-touch cleaning system.", "Black"},
       {"Steel Wheelbarrow 6 cu ft", "True Temper", 9999,
        "Steel tray with a flat-free tire."},
       {"Dual-Chamber Compost Tumbler", "FCMP Outdoor", 9999,
        "Two chambers for continuous composting."},
       {"Bamboo Gardening Gloves", "Pine Tree Tools", 1499,
        "Breathable gloves with touchscreen-friendly fingertips."},
       {"Rain Barrel 50 Gallon", "Good Ideas", 11999,
        "Collects roof runoff, with a brass spigot."},
       {"Drip Irrigation Kit", "Rain Bird", 3999,
        "Waters up to 30 plants with adjustable emitters."},
       {"Bonfire Smokeless Fire Pit", "Solo Stove", 29999,
        "Stainless steel fire pit with a 360-degree airflow design.", "Stainless Steel"},
       {"Double Hammock with Steel Stand", "Vivere", 19999,
        "Two-person hammock in weather-resistant fabric with a steel stand."},
       {"Lavender Plant, 1 Gallon", "Proven Winners", 2499,
        "Fragrant perennial that attracts bees and butterflies.", "Purple"},
       {"Bloodgood Japanese Maple Tree", "Brighter Blooms", 8999,
        "Japanese maple with deep red foliage, 3 to 4 ft tall.", "Red"},
       {"Electric Pressure Washer 2000 PSI", "Sun Joe", 16999,
        "Cleans decks, cars and patios, with two detergent tanks."},
     }},
    {"Grocery", "GR", "brand", "size", {"1 unit"},
     {"Store in a cool, dry place.", "Best before date printed on the pack.",
      "Non-perishable; ships in recyclable packaging."},
     {
       {"Organic Extra Virgin Olive Oil", "California Olive Ranch", 1499,
        "Cold-pressed oil with fruity, peppery notes.", "25.4 fl oz"},
       {"Holler Mountain Whole Bean Coffee", "Stumptown", 1799,
        "Medium roast blend with notes of citrus and caramel.", "12 oz"},
       {"Ceremonial Grade Matcha Green Tea Powder", "Jade Leaf", 2495,
        "Stone-ground Japanese matcha for lattes and tea.", "1 oz"},
       {"Excellence 85% Cocoa Dark Chocolate", "Lindt", 399,
        "Dark chocolate bar with an intense, refined taste.", "3.5 oz"},
       {"Organic Pure Maple Syrup Grade A", "Coombs Family Farms", 1599,
        "Dark and robust organic syrup from Vermont.", "12 fl oz"},
       {"Raw Unfiltered Honey", "Nature Nate's", 1199, "Unfiltered, unheated honey.", "32 oz"},
       {"Classic Almond Butter", "Justin's", 1099, "Dry-roasted almonds ground smooth.",
        "16 oz"},
       {"Steel Cut Oats", "Bob's Red Mill", 699,
        "Whole grain oats for a hearty, chewy porridge.", "24 oz"},
       {"Sparkling Water Variety Pack", "LaCroix", 599,
        "Naturally essenced, zero-calorie sparkling water.", "12 cans"},
       {"Pure Basmati Rice", "Tilda", 1299, "Aged basmati with long, fluffy grains.", "10 lb"},
       {"Spaghetti No. 5 Pasta", "Barilla", 199,
        "Durum wheat semolina pasta, al dente in nine minutes.", "16 oz"},
       {"Homemade Marinara Sauce", "Rao's", 899,
        "Slow-cooked Italian tomatoes, olive oil and fresh basil.", "24 oz"},
       {"Sea Salt Flakes", "Maldon", 699, "Pyramid-shaped flakes for finishing dishes.",
        "8.5 oz"},
       {"Sriracha Hot Chili Sauce", "Huy Fong", 499, "Sun-ripened chilies and garlic.",
        "17 oz"},
       {"Unsalted Mixed Nuts", "Kirkland Signature", 1899,
        "Cashews, almonds, macadamias, pecans and pistachios.", "2.5 lb"},
       {"Protein Bars Variety Pack", "RXBAR", 2499,
        "Egg whites, nuts and dates with no added sugar.", "12 bars"},
       {"Ginger Lemonade Kombucha", "GT's", 399,
        "Raw organic kombucha with live probiotics.", "16 fl oz"},
       {"Earl Grey Black Tea Bags", "Twinings", 499, "Black tea flavored with bergamot.",
        "100 bags"},
       {"Original Ancient Grain Granola", "Purely Elizabeth", 699,
        "Ancient grain granola sweetened with coconut sugar.", "12 oz"},
       {"Natural Crunchy Peanut Butter", "Smucker's", 449,
        "Made with only peanuts and salt.", "16 oz"},
       {"Pure Coconut Water, 12 Pack", "Vita Coco", 2499,
        "Hydrating coconut water with electrolytes.", "12 x 16.9 fl oz"},
       {"Sourdough Bread Mix", "King Arthur", 799,
        "Tangy loaf mix with real sourdough flavor.", "16 oz"},
       {"Balsamic Vinegar of Modena", "Colavita", 999,
        "Aged vinegar for salads and glazes.", "17 fl oz"},
       {"Dried Mango Slices", "Philippine Brand", 699, "Sweet, chewy mango from Cebu.",
        "7 oz"},
       {"OriginalLine Espresso Capsules Variety Pack", "Nespresso", 4200,
        "Fifty capsules in five intensities.", "50 capsules"},
     }},
    {"Office", "OF", "brand", "color", {"Black", "White", "Gray", "Blue"},
     {"Free returns within 30 days.", "A favourite for home offices.",
      "Ships in recyclable packaging."},
     {
       {"Aeron Ergonomic Office Chair", "Herman Miller", 139500,
        "Breathable mesh chair with adjustable lumbar support.", "Graphite"},
       {"V2 Electric Standing Desk 60\"", "Uplift", 69900,
        "Dual-motor desk with memory presets and a bamboo top."},
       {"UltraFine 27\" 4K Monitor", "LG", 49999,
        "IPS display with USB-C power delivery for laptops.", "Black"},
       {"Dotted A5 Hardcover Notebook", "Leuchtturm1917", 2495,
        "251 numbered pages with an index and two ribbon markers."},
       {"Safari Fountain Pen", "Lamy", 3600,
        "Sturdy pen with a steel nib and an ergonomic grip."},
       {"G2 Retractable Gel Pens, 12 Pack", "Pilot", 1499,
        "Smooth-writing gel ink pens with a 0.7 mm tip."},
       {"Super Sticky Notes 3x3, 24 Pads", "Post-it", 1899,
        "Super sticky notes in bright colors.", "Assorted"},
       {"Wireless Monochrome Laser Printer", "Brother", 19999,
        "Duplex printing at 36 pages per minute."},
       {"Cross-Cut Paper Shredder", "Fellowes", 12999,
        "Shreds 12 sheets at a time into confetti-size particles."},
       {"ScreenBar LED Desk Lamp", "BenQ", 17900,
        "Glare-free lamp with auto-dimming for reading and screen work."},
       {"LabelManager Label Maker", "DYMO", 3999,
        "Handheld labeler with a QWERTY keyboard."},
       {"Magnetic Whiteboard 36 x 24", "Quartet", 5999,
        "Dry-erase board with an aluminum frame and a marker tray.", "White"},
       {"C920 HD Pro Webcam", "Logitech", 6999,
        "Full HD 1080p video calls with stereo audio and autofocus.", "Black"},
       {"Evolve2 Wireless Headset", "Jabra", 19900,
        "Noise cancelling headset with a boom mic for calls and meetings."},
       {"ScanSnap Document Scanner", "Fujitsu", 44500,
        "Scans double-sided pages at 40 pages per minute to searchable PDF."},
       {"Heavy Duty Stapler", "Swingline", 2999, "Staples up to 40 sheets with little effort."},
       {"TI-36X Pro Scientific Calculator", "Texas Instruments", 2299,
        "Multiview scientific calculator for engineering and science.", "Black"},
       {"mStand Aluminum Laptop Stand", "Rain Design", 5490,
        "Raises the screen to eye level for better posture.", "Silver"},
       {"Mesh Desk Organizer", "Simple Houseware", 1999,
        "Five compartments and a sliding drawer."},
       {"3-Drawer Vertical File Cabinet", "HON", 24900,
        "Lockable vertical file for letter-size folders."},
       {"Weekly Planner, Hardcover", "Moleskine", 2695,
        "Weekly planner with a notes page for every week."},
       {"Chisel Tip Highlighters, 10 Pack", "Sharpie", 999,
        "Smear-guard highlighters in fluorescent colors.", "Assorted"},
       {"Memory Foam Wrist Rest Set", "Gimars", 1599,
        "Keyboard and mouse wrist rests for long typing sessions."},
       {"TS4 Thunderbolt 4 Docking Station", "CalDigit", 37999,
        "Eighteen ports and 98 W of laptop charging through one cable.", "Space Gray"},
       {"Multipurpose Printer Paper, 5000 Sheets", "HP", 5499,
        "Bright white letter-size paper, 20 lb.", "White"},
     }},
  };
  return data;
}

// -- deterministic randomness ---------------------------------------------------

/// SplitMix64: tiny, fast and fully specified, so every platform produces the
/// same catalogue.
class splitmix64 {
public:
  explicit splitmix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  /// A value in [0, n) (n > 0; the modulo bias is irrelevant here).
  uint64_t below(uint64_t n) {
    return next() % n;
  }

private:
  uint64_t state_;
};

constexpr uint64_t catalogue_seed = 0xA60BA5EEDULL;

} // namespace

// -- public API ---------------------------------------------------------------

std::vector<demo_product> demo_catalogue() {
  splitmix64 rng{catalogue_seed};
  std::vector<demo_product> result;
  size_t index = 0; // position in the whole catalogue, for the sold-out picks
  for (const auto& cat : categories()) {
    int number = 0;
    for (const auto& e : cat.entries) {
      demo_product p;
      char sku[32];
      std::snprintf(sku, sizeof sku, "%s-%04d", cat.sku_prefix, ++number);
      p.sku = sku;
      p.name = e.name;
      p.description = e.description;
      p.description += ' ';
      p.description += cat.closings[rng.below(cat.closings.size())];
      p.price_cents = e.price_cents;
      p.currency = "USD";
      p.category = cat.name;
      auto extra = e.extra != nullptr ? e.extra
                                      : cat.extra_values[rng.below(cat.extra_values.size())];
      boost::json::object attributes;
      attributes[cat.maker_key] = e.maker;
      attributes[cat.extra_key] = extra;
      p.attributes_json = boost::json::serialize(attributes);
      // Mostly well stocked; every 50th product (offset 17) starts sold out and
      // every 50th (offset 33) nearly so, for the out-of-stock demos.
      auto stock_draw = static_cast<int64_t>(rng.below(496));
      if (index % 50 == 17)
        p.initial_stock = 0;
      else if (index % 50 == 33)
        p.initial_stock = 1 + static_cast<int64_t>(index / 50 % 3);
      else
        p.initial_stock = 5 + stock_draw;
      result.push_back(std::move(p));
      ++index;
    }
  }
  return result;
}

std::vector<std::string> demo_categories() {
  std::vector<std::string> result;
  for (const auto& cat : categories())
    result.emplace_back(cat.name);
  return result;
}

} // namespace agora::demo
