"""Word lists the simulation draws names from."""

FIRST_NAMES = """
James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard
Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty
Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle
Kenneth Carol Kevin Amanda Brian Dorothy George Melissa Timothy Deborah Ronald Stephanie Edward
Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy Nicholas Angela Eric
Shirley Jonathan Anna Stephen Brenda Larry Pamela Justin Emma Scott Nicole Brandon Helen Benjamin
Samantha Samuel Katherine Gregory Christine Alexander Debra Frank Rachel Patrick Carolyn Raymond
Janet Jack Catherine Dennis Maria Jerry Heather Tyler Diane Aaron Ruth Jose Julie Adam Olivia
Nathan Joyce Henry Virginia Douglas Victoria Zachary Kelly Peter Lauren Kyle Christina Ethan Joan
Walter Evelyn Noah Judith Jeremy Megan Christian Andrea Keith Cheryl Roger Hannah Terry Jacqueline
Gerald Martha Harold Gloria Sean Teresa Austin Ann Carl Sara Arthur Madison Lawrence Frances Dylan
Kathryn Jesse Janice Jordan Jean Bryan Abigail Billy Alice Joe Judy Bruce Sophia Gabriel Grace
Logan Denise Albert Amber Willie Doris Alan Marilyn Juan Danielle Wayne Beverly Elijah Isabella
Randy Theresa Roy Diana Vincent Natalie Ralph Brittany Eugene Charlotte Russell Marie Bobby Kayla
Mason Alexis Philip Lori Louis Lukas Sofia Mateo Chloe Hiroshi Yuki Priya Arjun Lena Jonas Amelie
Felix Clara Lucas Ines Hugo Manon Pablo Lucia Omar Fatima Wei Mei Raj Ananya Kenji Sakura
""".split()

LAST_NAMES = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez
Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark
Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams
Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker
Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper
Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James
Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster
Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher
Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno
West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall
Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb
Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason
Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren
Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne
Grant Dunn Kelley Spencer Hawkins Arnold Pierce Hansen Peters Santos Hart Bradley Knight Elliott
Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry Perkins
Hoffman Johnston Matthews Pena Richards Contreras Willis Carpenter Lawrence Sandoval Guerrero
Mueller Schneider Fischer Weber Becker Schulz Dubois Lefebvre Moreau Laurent Tanaka Suzuki Sato
Takahashi Watanabe Ito Yamamoto Nakamura Kumar Sharma Singh Gupta Desai Iyer Jansen DeVries Bakker
Visser Smit Fernandes Costa Oliveira Pereira Almeida Novak Kowalski Nowak Lindqvist Andersson
""".split()

COMPANY_PREFIXES = """
Blue North Bright Silver Iron Green Red Golden Swift Clear Deep Prime Bold True Summit Harbor
Pioneer Atlas Beacon Cedar Crest Delta Echo Falcon Granite Horizon Keystone Lumen Maple Nova Orbit
Pacific Quantum Radiant Sierra Stellar Terra Union Vertex Wild Zenith Alpine Apex Arrow Aspen
Aurora Birch Bluebird Canyon Cascade Cobalt Coral Crystal Evergreen Flint Frontier Glacier Harvest
Highland Indigo Jade Juniper Lakeside Liberty Lighthouse Lunar Meadow Meridian Midland Mosaic
Northern Oak Ocean Onyx Open Peak Pine Polar Prairie Redwood Ridge River Rocky Sage Sapphire
Scarlet Shore Solar Spruce Sterling Stone Sun Tidal Timber Trinity Twin Valley Velvet Willow
""".split()

COMPANY_ROOTS = """
Analytics Data Logic Works Labs Systems Networks Dynamics Solutions Partners Ventures Holdings
Bridge Point Path Wave Stream Scale Sense Loop Forge Grid Hub Link Mind Core Field Flow Gate Leaf
Line Mark Sky Spark Tech Trail Vision Yard Bay Bank Base Beam Bell Bolt Cloud Craft Crane Dock
Engine Fleet Fold Frame Fuel Garden Gear Glass Harbor Helix Hive Key Kite Lane Layer Lens Lift
Light Mill Nest Note Orbit Pilot Pixel Port Pulse Quest Rail Range Reef Rise Road Root Sail Shift
Signal Source Sphere Square Stack Star Station Studio Tide Tower Track Vault Vista Well Wing Wire
""".split()

COMPANY_SUFFIXES = ["Inc", "LLC", "Ltd", "GmbH", "Group", "Co", "Corp", "Software", "Health",
                    "Retail", "Logistics", "Media", "Capital", "Foods", "Energy", "Labs", "Digital",
                    "Consulting", "Industries", "Technologies", "Services", "Partners", "AG", "SA"]

JOB_TITLES = ["VP Marketing", "Head of Revenue Operations", "Marketing Manager", "CFO",
              "Sales Director", "Data Analyst", "CTO", "Director of Demand Generation",
              "Marketing Operations Manager", "Chief Revenue Officer", "IT Manager", "CEO",
              "Business Analyst", "Growth Lead", "Procurement Manager"]
